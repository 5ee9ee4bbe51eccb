package vkcnn_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/vkcnn/vkcnn"
)

// Train the default network on MNIST from Go, printing each epoch's test accuracy. Ctrl-C
// cancels the context: the run stops after the step it is in, the checkpoint holds that
// step (bin/train -resume continues it), and the model trained so far comes back with the
// error. (Not run by go test: it trains on data/mnist for a few seconds.)
func ExampleTrain() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	o := vkcnn.DefaultTrainOptions() // lenet-6-12, data/mnist, 5 epochs of batch 64
	o.Epochs, o.Save = 1, "lenet.safetensors"
	m, err := vkcnn.Train(ctx, o, func(p vkcnn.Progress) {
		if p.Stats != nil {
			fmt.Printf("epoch %d/%d: test accuracy %.2f%%\n", p.Epoch, p.Epochs, 100*p.Stats.TestAcc)
		}
	})
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Println(err) // vkcnn: training stopped in epoch 1 after step 412; saved lenet.safetensors: context canceled
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("trained", m.Arch())
}
