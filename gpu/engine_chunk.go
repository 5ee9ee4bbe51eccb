package gpu

// ChunkSteps is the number of full-batch steps recorded into the command buffer that an
// epoch replays (train.Chunked): a part of an epoch (engine.Epoch.From/To) that starts and
// ends at multiples of it from the epoch's start is run by replays of that buffer (and the
// tail buffer at the epoch's end), the submissions of a whole epoch; any other bound adds
// single-step submissions.
func (e *Engine) ChunkSteps() int { return e.chunkSteps }
