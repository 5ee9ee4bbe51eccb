package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/mnist"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// Keys of a run's checkpoint that the command adds to train.State's (checkpoint.SaveState):
// the settings that decide the training set, which the state knows only by its size.
const (
	keyLimit = "run.limit"
	keyVal   = "run.val"
)

// runMeta is the command's own run.* metadata of every checkpoint it saves.
func (c *config) runMeta() map[string]string {
	return map[string]string{keyLimit: strconv.Itoa(c.limit), keyVal: strconv.Itoa(c.val)}
}

// checkResumeFlags refuses flags that cannot go with -resume, at flag time.
func (c *config) checkResumeFlags() error {
	if err := c.checkVerifyFlags(); err != nil {
		return err
	}
	switch {
	case c.resume == "":
		return nil
	case c.init != "":
		return errors.New("-init and -resume: -resume continues a run from its checkpoint, -init starts a new one from weights; give one")
	case c.given["epochs"] && c.epochs == 0:
		return errors.New("-epochs 0 with -resume: to evaluate the checkpoint, use -init FILE -epochs 0 (or train eval)")
	}
	return nil
}

// resumed is what -resume read from its checkpoint: the run's arch, weights and state.
type resumed struct {
	arch   *model.Arch
	params *model.Params
	state  *train.State
}

// loadResume reads -resume's checkpoint for inputs of shape in: the arch (-arch, when
// given, must be the file's), the weights and the run's state, and sets every run setting
// of c from it. A setting given on the command line must be the file's: -resume continues
// that run, and a different batch, schedule, seed or training set would be another run.
func (c *config) loadResume(in model.Shape) (*resumed, error) {
	path := showPath(c.resume)
	r, err := checkpoint.Open(c.resume)
	if err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	defer r.Close()
	var arch *model.Arch
	if c.archSet {
		if arch, err = model.Build(c.arch, in, mnist.Classes); err != nil {
			return nil, fmt.Errorf("-arch: %w", err)
		}
	} else if arch, err = r.Arch(in, mnist.Classes); err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	p, err := r.Load(arch)
	if err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	st, meta, err := r.State(arch)
	if errors.Is(err, checkpoint.ErrNoState) {
		return nil, fmt.Errorf("-resume %s: %w; -init %s starts a new run from its weights", path, checkpoint.ErrNoState, path)
	}
	if err != nil {
		return nil, fmt.Errorf("-resume: %w", err)
	}
	if st.Epoch >= st.Epochs {
		return nil, fmt.Errorf("-resume %s: the run is complete (%d of %d epochs); -init %s starts a new run from its weights", path, st.Epoch, st.Epochs, path)
	}
	limit, err1 := strconv.Atoi(meta[keyLimit])
	val, err2 := strconv.Atoi(meta[keyVal])
	if err1 != nil || err2 != nil || limit < 0 || val < 0 {
		return nil, fmt.Errorf("-resume %s: metadata %s=%q, %s=%q: want integers of at least 0", path, keyLimit, meta[keyLimit], keyVal, meta[keyVal])
	}
	for _, s := range []struct {
		flag      string
		same      bool
		given, in string // the flag's value and the file's, as the message shows them
		set       func()
	}{
		{"epochs", c.epochs == st.Epochs, strconv.Itoa(c.epochs), strconv.Itoa(st.Epochs), func() { c.epochs = st.Epochs }},
		{"batch", c.batch == st.Batch, strconv.Itoa(c.batch), strconv.Itoa(st.Batch), func() { c.batch = st.Batch }},
		{"lr0", c.lr0 == st.LR0, fmt.Sprint(c.lr0), fmt.Sprint(st.LR0), func() { c.lr0 = st.LR0 }},
		{"lr1", c.lr1 == st.LR1, fmt.Sprint(c.lr1), fmt.Sprint(st.LR1), func() { c.lr1 = st.LR1 }},
		{"momentum", float32(c.momentum) == float32(st.Momentum), fmt.Sprint(c.momentum), fmt.Sprint(float32(st.Momentum)), func() { c.momentum, _ = strconv.ParseFloat(strconv.FormatFloat(st.Momentum, 'g', -1, 32), 64) }}, // 0.9, not 0.8999999761581421
		{"seed", c.seed == st.Seed, strconv.FormatUint(c.seed, 10), strconv.FormatUint(st.Seed, 10), func() { c.seed = st.Seed }},
		{"no-shuffle", c.noShuffle == !st.Shuffle, strconv.FormatBool(c.noShuffle), strconv.FormatBool(!st.Shuffle), func() { c.noShuffle = !st.Shuffle }},
		{"limit", c.limit == limit, strconv.Itoa(c.limit), strconv.Itoa(limit), func() { c.limit = limit }},
		{"val", c.val == val, strconv.Itoa(c.val), strconv.Itoa(val), func() { c.val = val }},
	} {
		if c.given[s.flag] && !s.same {
			return nil, fmt.Errorf("-%s %s: the run in %s has -%s %s, and -resume continues that run (leave -%s out, or start a new run with -init)", s.flag, s.given, path, s.flag, s.in, s.flag)
		}
		s.set()
	}
	return &resumed{arch: arch, params: p, state: st}, nil
}

// checkResumedSet makes sure the training set is the one the resumed run trained on.
func (c *config) checkResumedSet(rs *resumed, samples int) error {
	if rs != nil && rs.state.Samples != samples {
		return fmt.Errorf("-resume %s: the run trained on %d samples, -data %s gives %d (with -limit %d, -val %d): not the same training set",
			showPath(c.resume), rs.state.Samples, showPath(c.data), samples, c.limit, c.val)
	}
	return nil
}
