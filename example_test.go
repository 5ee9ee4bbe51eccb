package vkcnn_test

import (
	"fmt"
	"image"
	_ "image/png" // registers PNG for image.Decode
	"log"
	"os"
	"path/filepath"

	"github.com/vkcnn/vkcnn"
)

// Load a checkpoint written by `bin/train -save FILE` and classify a picture of a digit:
// here a 160×120 black-on-white PNG drawn from MNIST's first test image.
func Example() {
	m, err := vkcnn.Load("testdata/model/lenet-6-12.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	img, err := decode("testdata/digits/7-test0.png")
	if err != nil {
		log.Fatal(err)
	}
	p, err := m.Predict(img)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d (%.0f%%)\n", p.Digit, 100*p.Probs[p.Digit])
	// Output: 7 (100%)
}

// Classify several pictures in one call; they run in parallel on the CPU.
func ExampleModel_PredictBatch() {
	m, err := vkcnn.Load("testdata/model/lenet-6-12.safetensors")
	if err != nil {
		log.Fatal(err)
	}
	paths, err := filepath.Glob("testdata/digits/*.png")
	if err != nil {
		log.Fatal(err)
	}
	var imgs []image.Image
	for _, path := range paths {
		img, err := decode(path)
		if err != nil {
			log.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	ps, err := m.PredictBatch(imgs)
	if err != nil {
		log.Fatal(err)
	}
	for i, p := range ps {
		fmt.Printf("%s: %d\n", filepath.Base(paths[i]), p.Digit)
	}
	// Output:
	// 0-test3.png: 0
	// 1-test2.png: 1
	// 2-test1.png: 2
	// 4-test4.png: 4
	// 7-test0.png: 7
}

// decode reads an image file in any registered format.
func decode(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	return img, err
}
