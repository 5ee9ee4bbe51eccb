package main

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vkcnn/vkcnn/train"
)

// TestStopLine: a stopped run's line names the signal, where it stopped, the checkpoint
// and the command that continues it (paths a shell would split are quoted), or says that
// nothing was saved without -save; the status is 128 + the signal's number. An error
// that is not a stop, or a stop without a signal, passes through.
func TestStopLine(t *testing.T) {
	c := &config{data: "my data", device: "gpu", given: map[string]bool{"data": true, "device": true}}
	err := c.stopped(fmt.Errorf("run: %w", &train.StoppedError{Epoch: 2, Step: 7, Saved: "it's.safetensors"}), syscall.SIGTERM)
	se, ok := errors.AsType[*stopExit](err)
	assert.True(t, ok)
	assert.Equal(t, 143, se.code)
	assert.Equal(t, `stopped by SIGTERM in epoch 3 after step 7; saved it's.safetensors; continue with: train -resume 'it'\''s.safetensors' -data 'my data' -device gpu`, err.Error())
	err = (&config{}).stopped(&train.StoppedError{Epoch: 1}, syscall.SIGINT)
	assert.Equal(t, "stopped by SIGINT after epoch 1; nothing saved (no -save; with -save FILE a stopped run can be resumed)", err.Error())
	other := errors.New("disk full")
	assert.Equal(t, other, c.stopped(other, syscall.SIGINT))
	stop := &train.StoppedError{Epoch: 1}
	assert.Equal(t, error(stop), c.stopped(stop, 0))
}
