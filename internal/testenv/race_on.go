//go:build race

package testenv

import "github.com/itwin-graphql/gateway/graph"

// testBatchWait widens the batch window under the race detector, which slows the loader's
// enqueue path about ninefold (measured: 1500 Load calls take 0.8 ms without it, 7 ms with it).
// The batching logic is the same; only the time it is given scales with the instrumentation.
// The benchmark checks the same upstream-call counts at the default window.
const BatchWait = 10 * graph.DefaultBatchWait

// largeDocuments is how many distinct 1 MB documents the memory test sends under the race
// detector, which makes each about 0.2 s of CPU. CI also runs the test without the detector, with
// all 1000 (.ci/run).
const LargeDocuments = 100
