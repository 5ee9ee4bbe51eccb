//go:build goexperiment.simd && amd64

package cpu

// SetSIMD turns the SIMD convolutions on or off and returns the previous setting.
func SetSIMD(on bool) bool {
	was := simdConv
	simdConv = on
	return was
}

// SIMDBufLen is the stack buffer of the SIMD convolutions, in float32 values.
const SIMDBufLen = simdBufLen
