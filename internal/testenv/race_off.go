//go:build !race

package testenv

import "github.com/itwin-graphql/gateway/graph"

// testBatchWait is the production default when the race detector is off.
const BatchWait = graph.DefaultBatchWait

// largeDocuments is how many distinct 1 MB documents the memory test sends.
const LargeDocuments = 1000
