//go:build !race

package graph_test

import "github.com/itwin-graphql/gateway/graph"

// testBatchWait is the production default when the race detector is off.
const testBatchWait = graph.DefaultBatchWait

// testBatchIdle is the production default when the race detector is off.
const testBatchIdle = graph.DefaultBatchIdle

// largeDocuments is how many distinct 1 MB documents the memory test sends.
const largeDocuments = 1000
