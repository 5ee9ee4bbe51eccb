// Package train drives an engine through a training run: the learning-rate schedule, the
// per-epoch sample order, evaluation after each epoch, checkpoints and statistics. It never
// knows which engine it drives.
//
// The schedule decays geometrically over all K steps of the run:
// lr(k) = lr0 · (lr1/lr0)^(k/(K−1)) for step k = 0..K−1 (lr0 alone when K = 1).
// Each epoch's order is a Fisher–Yates permutation drawn from the seed (or 0..N−1 with
// shuffling off); weights are initialised from the same seed by model.Arch.InitParams.
//
// A run's position and momentum (State) are all that continuing it needs: epoch k's order
// is the k-th draw of the seed's stream and step k's rate LR(k, K, lr0, lr1), so Run with
// Options.Resume ends with the weights of the run that never stopped, bit for bit. Run
// stops when Options.Stop is closed (after the step in progress, saving the state), when
// the run diverges (DivergedError, ExplodedLimit), or when Options.Verify finds the engine
// disagreeing with a second one (VerifyError).
package train
