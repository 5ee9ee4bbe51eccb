package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// MomentumPrefix starts the names of the momentum buffers a checkpoint of a run in
// progress carries beside the parameters: "optim.momentum.conv1.weight" is the buffer of
// "conv1.weight", with its shape. Tensors whose names start with "optim." are optimiser
// state: Load skips them, and a PyTorch model loads the weights without them.
const MomentumPrefix = "optim.momentum."

// optimPrefix starts every optimiser-state tensor name.
const optimPrefix = "optim."

// Run keys of __metadata__: a train.State field by field (all strings, as safetensors'
// metadata must be; floats in the shortest form that reads back to the same bits). A file
// with "run.epochs" holds a run's state; the caller may add keys of its own under "run.".
const (
	keyEpochs      = "run.epochs"
	keyTotalSteps  = "run.total_steps"
	keyLR0         = "run.lr0"
	keyLR1         = "run.lr1"
	keyMomentum    = "run.momentum"
	keyBatch       = "run.batch"
	keySamples     = "run.samples"
	keySeed        = "run.seed"
	keyShuffle     = "run.shuffle"
	keyEpoch       = "run.epoch"
	keyStep        = "run.step"
	keyLossSum     = "run.loss_sum"
	keyCorrect     = "run.correct"
	keySeconds     = "run.seconds"
	keyFirstLosses = "run.first_losses"
)

// ErrNoState is Reader.State's error for a file that holds weights only.
var ErrNoState = errors.New("holds weights only, no run state (it was not saved by a run with -save, or by an older vkcnn)")

// stateMeta is s as metadata, with extra (the caller's own run.* keys) added.
func stateMeta(s *train.State, extra map[string]string) map[string]string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	first := make([]string, len(s.FirstLosses))
	for i, l := range s.FirstLosses {
		first[i] = strconv.FormatFloat(float64(l), 'g', -1, 32)
	}
	m := map[string]string{}
	for k, v := range extra {
		m[k] = v
	}
	for k, v := range map[string]string{
		keyEpochs: strconv.Itoa(s.Epochs), keyTotalSteps: strconv.Itoa(s.TotalSteps),
		keyLR0: f(s.LR0), keyLR1: f(s.LR1), keyMomentum: f(s.Momentum),
		keyBatch: strconv.Itoa(s.Batch), keySamples: strconv.Itoa(s.Samples),
		keySeed: strconv.FormatUint(s.Seed, 10), keyShuffle: strconv.FormatBool(s.Shuffle),
		keyEpoch: strconv.Itoa(s.Epoch), keyStep: strconv.Itoa(s.Step),
		keyLossSum: f(s.LossSum), keyCorrect: strconv.Itoa(s.Correct), keySeconds: f(s.Seconds),
		keyFirstLosses: strings.Join(first, ","),
	} {
		m[k] = v // the state's own keys win over extra's
	}
	return m
}

// State reads the run state of the checkpoint, saved for arch a: the metadata's run.*
// keys and the momentum buffers (which must be every parameter's, F32, of its shape, when
// the run's momentum is not 0). meta is the whole metadata, for the caller's own keys. A
// file without a run state gives an error that wraps ErrNoState.
func (r *Reader) State(a *model.Arch) (s *train.State, meta map[string]string, err error) {
	s, err = r.state(a)
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", show(r.path), err)
	}
	return s, r.h.meta, nil
}

func (r *Reader) state(a *model.Arch) (*train.State, error) {
	m := r.h.meta
	if _, ok := m[keyEpochs]; !ok {
		return nil, ErrNoState
	}
	var err error
	num := func(key string, min int) int {
		v, e := strconv.Atoi(m[key])
		if (e != nil || v < min) && err == nil {
			err = fmt.Errorf("metadata %s=%q: want an integer of at least %d", key, m[key], min)
		}
		return v
	}
	flt := func(key string) float64 {
		v, e := strconv.ParseFloat(m[key], 64)
		if (e != nil || math.IsNaN(v) || math.IsInf(v, 0)) && err == nil {
			err = fmt.Errorf("metadata %s=%q: want a finite number", key, m[key])
		}
		return v
	}
	s := &train.State{
		Epochs: num(keyEpochs, 0), TotalSteps: num(keyTotalSteps, 0), LR0: flt(keyLR0), LR1: flt(keyLR1),
		Momentum: flt(keyMomentum), Batch: num(keyBatch, 1), Samples: num(keySamples, 1),
		Epoch: num(keyEpoch, 0), Step: num(keyStep, 0), LossSum: flt(keyLossSum), Correct: num(keyCorrect, 0),
		Seconds: flt(keySeconds),
	}
	seed, e := strconv.ParseUint(m[keySeed], 10, 64)
	if e != nil && err == nil {
		err = fmt.Errorf("metadata %s=%q: want an unsigned integer", keySeed, m[keySeed])
	}
	shuffle, e := strconv.ParseBool(m[keyShuffle])
	if e != nil && err == nil {
		err = fmt.Errorf("metadata %s=%q: want true or false", keyShuffle, m[keyShuffle])
	}
	s.Seed, s.Shuffle = seed, shuffle
	if f := m[keyFirstLosses]; f != "" {
		for _, x := range strings.Split(f, ",") {
			v, e := strconv.ParseFloat(x, 32)
			if e != nil && err == nil {
				err = fmt.Errorf("metadata %s=%q: want numbers separated by commas", keyFirstLosses, f)
			}
			s.FirstLosses = append(s.FirstLosses, float32(v))
		}
	}
	if err != nil {
		return nil, err
	}
	if s.Momentum > 0 {
		if s.Velocity, err = r.momentum(a); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// momentum reads the momentum buffers of a's parameters.
func (r *Reader) momentum(a *model.Arch) (*model.Params, error) {
	if err := r.h.checkLayout(r.size - 8 - r.n); err != nil {
		return nil, err
	}
	v := a.NewParams()
	var buf []byte
	for i := range v.Tensors {
		t := &v.Tensors[i]
		name := MomentumPrefix + t.Name
		e, ok := r.h.entries[name]
		switch {
		case !ok:
			return nil, fmt.Errorf("tensor %s (the momentum of %s) is missing", name, t.Name)
		case e.Dtype != dtypeF32 || !slices.Equal(e.Shape, t.Shape):
			return nil, fmt.Errorf("tensor %s: %s %v, want %s %v", name, e.Dtype, e.Shape, dtypeF32, t.Shape)
		}
		buf = slices.Grow(buf[:0], 4*len(t.Data))[:4*len(t.Data)]
		if _, err := r.r.ReadAt(buf, 8+r.n+e.DataOffsets[0]); err != nil {
			return nil, fmt.Errorf("reading tensor %s: %w", name, err)
		}
		for j := range t.Data {
			t.Data[j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*j:]))
		}
	}
	return v, nil
}

// isOptimState reports whether the tensor name is optimiser state of one of a's
// parameters: MomentumPrefix and a parameter's name, with that parameter's shape, F32.
func isOptimState(name string, e entry, want []model.Tensor) bool {
	p, ok := strings.CutPrefix(name, MomentumPrefix)
	if !ok || e.Dtype != dtypeF32 {
		return false
	}
	i := slices.IndexFunc(want, func(t model.Tensor) bool { return t.Name == p })
	return i >= 0 && slices.Equal(want[i].Shape, e.Shape)
}

// finite refuses a NaN or an infinity in p, naming the first: a checkpoint that -init and
// -resume would refuse is never written.
func finite(p *model.Params, what string) error {
	for _, t := range p.Tensors {
		for i, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("%s%s[%d] is %v; not saved (the weights are no longer finite: the run diverged)", what, t.Name, i, v)
			}
		}
	}
	return nil
}

// encodeState checks p (and s's momentum) against a and for finite values, and encodes
// them with s's metadata.
func encodeState(a *model.Arch, p *model.Params, s *train.State, extra map[string]string) ([]byte, error) {
	if err := a.Check(p); err != nil {
		return nil, err
	}
	if err := finite(p, ""); err != nil {
		return nil, err
	}
	if s == nil {
		return encode(a, p), nil
	}
	for k := range extra {
		if !strings.HasPrefix(k, "run.") {
			return nil, fmt.Errorf("metadata key %q: a run's own keys start with \"run.\"", k)
		}
	}
	if s.Velocity != nil {
		if err := a.Check(s.Velocity); err != nil {
			return nil, fmt.Errorf("momentum: %w", err)
		}
		if err := finite(s.Velocity, MomentumPrefix); err != nil {
			return nil, err
		}
	}
	return encodeWith(a, p, stateMeta(s, extra), s.Velocity), nil
}
