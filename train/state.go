package train

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/vkcnn/vkcnn/model"
)

// State is where a run stands between two steps: what a checkpoint records besides the
// weights so that Options.Resume continues the run exactly, with the weights and the
// momentum the uninterrupted run would have had, bit for bit.
//
// The schedule and the sample order are functions of the run's settings (Epochs, LR0,
// LR1, Batch, Seed, Shuffle, Samples): epoch k's order is the k-th permutation drawn from
// the seed's stream (NewOrders), and step k's rate is LR(k, TotalSteps, LR0, LR1), so the
// state needs only the position (Epoch, Step) and the momentum buffers.
type State struct {
	// The run's settings.
	Epochs, TotalSteps int
	LR0, LR1           float64
	Momentum           float64 // μ of the engine's Config, as float32 widened
	Batch, Samples     int
	Seed               uint64
	Shuffle            bool
	// Position: Epoch epochs are done, and Step steps of the next one (0 at a boundary).
	Epoch, Step int
	// The unfinished epoch's statistics so far (zero at a boundary): Σ loss·batch size over
	// its steps done, the samples classified right, the seconds spent.
	LossSum float64
	Correct int
	Seconds float64
	// FirstLosses are the run's first min(FirstSteps, steps per epoch) step losses, the
	// reference of the divergence rule (fewer while the run has made fewer steps).
	FirstLosses []float32
	// Velocity is the momentum buffers (nil when μ = 0: the update does not use them).
	Velocity *model.Params
}

// FirstSteps is how many of a run's first step losses are the reference of the divergence
// rule (see ExplodedLimit).
const FirstSteps = 10

// ExplodedLimit is the mean training loss above which an epoch is taken for a divergence
// that has not (yet) become NaN: max(10·L₀, 3·ln K), with L₀ the smallest loss of the run's
// first FirstSteps steps (first) and K the number of classes. The smallest, because a rate
// that makes the run explode does so within those steps, and the first step's loss is
// computed before any update. 3·ln K is three times the loss of a uniform guess (6.9 for
// ten classes), so a run started from trained weights (L₀ small) is not stopped by noise;
// 10·L₀ is a loss that an epoch — the mean of all its steps, so a loss that stays up, not
// a spike — reaches only when training is running away.
func ExplodedLimit(first []float32, classes int) float64 {
	l0 := math.Inf(1)
	for _, l := range first {
		l0 = min(l0, float64(l))
	}
	if len(first) == 0 {
		l0 = 0
	}
	return max(10*l0, 3*math.Log(float64(classes)))
}

// MinDivergeWindow is the fewest steps whose mean loss Run compares with ExplodedLimit
// within an epoch (see DivergeWindow).
const MinDivergeWindow = 50

// DivergeWindow is the number of steps whose mean loss Run compares with ExplodedLimit
// within an epoch of perEpoch steps, so that a run that explodes stops long before its
// epoch ends: a tenth of the epoch, and at least MinDivergeWindow steps, so that the noise
// of single batches (a batch of one sample has losses from near 0 to over 10 in a healthy
// run) does not stop a run. 0 when that is the whole epoch or more: the epoch's own mean,
// checked at its end, is then the only check.
func DivergeWindow(perEpoch int) int {
	w := max(MinDivergeWindow, (perEpoch+9)/10)
	if w >= perEpoch {
		return 0
	}
	return w
}

// Chunked is implemented by engines that run an epoch fastest in whole chunks of steps:
// the gpu engine, whose chunk is the steps recorded into the command buffer it replays.
// Run ends the parts it runs an epoch in, to check it for divergence, at multiples of
// ChunkSteps from the epoch's start, where the engine submits what a whole epoch submits.
type Chunked interface {
	ChunkSteps() int
}

// divergeEvery is the number of steps between two of Run's in-epoch divergence checks, for
// a window of w steps on engine e: a tenth of the window (the CPU engine), or for a
// Chunked engine the window rounded up to whole chunks, since each check waits for the
// device to finish what it was given, which an epoch otherwise does about 16 times.
func divergeEvery(w int, e any) int {
	if c, ok := e.(Chunked); ok && c.ChunkSteps() > 0 {
		k := c.ChunkSteps()
		return (w + k - 1) / k * k
	}
	return max(1, w/10)
}

// StoppedError is Run's error when Options.Stop was closed: the run stopped between two
// steps, and Saved (when not empty) holds its state for Options.Resume.
type StoppedError struct {
	Epoch, Step int // epochs done and steps of the next one, as State
	Saved       string
}

func (e *StoppedError) Error() string {
	at := fmt.Sprintf("after epoch %d", e.Epoch)
	if e.Step > 0 {
		at = fmt.Sprintf("in epoch %d after step %d", e.Epoch+1, e.Step)
	}
	if e.Saved == "" {
		return "stopped " + at + "; nothing saved (no checkpoint path)"
	}
	return "stopped " + at + "; saved " + e.Saved
}

// DivergedError reports a run that diverged: a step loss that became NaN or infinite, an
// epoch whose mean loss, or the mean loss of the last Window steps within an epoch, is
// over ExplodedLimit (Limit > 0), or a parameter that is no longer finite (Param not
// empty).
type DivergedError struct {
	// Step is the global step (0-based); the message counts steps from 1, as the run's
	// other lines do (-metrics step lines, "stopped … after step N", -resume's "at step N"),
	// so that "step 50" is the 50th step everywhere.
	Epoch, Step int
	LR          float64
	Loss        float32
	Limit       float64 // the mean loss Loss is over this limit
	Window      int     // with Limit: the steps Step−Window+1 … Step were averaged (0: the whole epoch)
	Param       string  // the first non-finite parameter, e.g. "fc1.bias[3]"
	Saved       string  // the last good checkpoint, if any
}

func (e *DivergedError) Error() string {
	var msg string
	switch {
	case e.Param != "":
		msg = fmt.Sprintf("parameter %s became %v in epoch %d (lr %.4g at its last step); try a lower -lr0 or -lr1", e.Param, e.Loss, e.Epoch, e.LR)
	case e.Limit > 0 && e.Window > 0:
		msg = fmt.Sprintf("diverged: epoch %d's mean train loss over steps %d–%d is %.4g, over %.4g (10× the smallest of its first steps' losses, and 3·ln(classes)); try a lower -lr0",
			e.Epoch, e.Step-e.Window+2, e.Step+1, e.Loss, e.Limit)
	case e.Limit > 0:
		msg = fmt.Sprintf("diverged: epoch %d's mean train loss %.4g is over %.4g (10× the smallest of its first steps' losses, and 3·ln(classes)); try a lower -lr0", e.Epoch, e.Loss, e.Limit)
	default:
		msg = fmt.Sprintf("loss became %v at step %d (epoch %d, lr %.4g); try a lower -lr0", e.Loss, e.Step+1, e.Epoch, e.LR)
	}
	if e.Saved != "" {
		msg += "; " + e.Saved + " still holds the last good epoch"
	}
	return msg
}

// nonFinite returns the name and value of p's first NaN or infinite value, "" if none.
func nonFinite(p *model.Params) (string, float32) {
	for _, t := range p.Tensors {
		for i, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Sprintf("%s[%d]", t.Name, i), v
			}
		}
	}
	return "", 0
}

// Fingerprint is the first 16 hex digits of the SHA-256 of p's values as a checkpoint
// stores them: every tensor in p's order (the file's), float32 little-endian. Two runs
// with the same fingerprint after an epoch have the same weights, bit for bit (up to a
// 2^-64 chance).
func Fingerprint(p *model.Params) string {
	h := sha256.New()
	var b []byte
	for _, t := range p.Tensors {
		b = b[:0]
		for _, v := range t.Data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
