package main

import (
	"errors"
	"fmt"

	"github.com/vkcnn/vkcnn/checkpoint"
	"github.com/vkcnn/vkcnn/model"
	"github.com/vkcnn/vkcnn/train"
)

// checkWritable refuses, at flag time, a -save path that the first epoch's save would fail
// on (see checkpoint.Check): a folder, a device, a FIFO, an immutable file, a missing or
// unwritable folder, a name too long for the save's temporary file.
func checkWritable(path string) error {
	return checkpoint.Check(path)
}

// lockSave holds -save's checkpoint for the whole run (checkpoint.Lock): a second run
// saving to the same file stops here, before any training. It returns the target (nil
// without -save), the train.Options SaveFunc, which writes the run's state with the
// weights (checkpoint.SaveState, with the command's runMeta), and the function that
// releases the lock (both do nothing without -save). catchStop handles the stop signals.
func (c *config) lockSave() (t *checkpoint.Target, save func(string, *model.Arch, *model.Params, *train.State) error, unlock func(), err error) {
	if c.save == "" {
		return nil, nil, func() {}, nil
	}
	t, err = checkpoint.Lock(c.save)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("-save %s: %w", showPath(c.save), err)
	}
	save = func(_ string, a *model.Arch, p *model.Params, s *train.State) error {
		return t.SaveState(a, p, s, c.runMeta())
	}
	return t, save, func() { t.Close() }, nil
}

// initArchError is err from reading -init's arch, with the way out when it has none.
func initArchError(path string, err error) error {
	if errors.Is(err, checkpoint.ErrNoArch) {
		return fmt.Errorf("-init %s: no arch in its metadata (a PyTorch state_dict?): give it with -arch to load the tensors by name", showPath(path))
	}
	return err
}
