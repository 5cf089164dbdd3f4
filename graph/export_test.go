package graph

// BatchWorkers is the number of batch workers alive, for the external tests' leak checks.
func BatchWorkers() int { return batchWorkers.workers() }
