package ref

import "math"

const (
	errLossLen   = "ref: SoftmaxCrossEntropy: a slice length does not match n and k"
	errLossLabel = "ref: SoftmaxCrossEntropy: a label is outside [0, k)"
	errSGDLen    = "ref: SGDUpdate: the slices differ in length"
)

// SoftmaxCrossEntropy computes, for every sample s of the logits z (n rows of k) with
// label y_s, with m_s = max_k z[s,k] taken out of every exponent so that none overflows:
//
//	loss[s]       = log Σ_k e^{z[s,k]−m_s} − (z[s,y_s]−m_s)          = −log softmax(z_s)[y_s]
//	dLogits[s,k]  = (e^{z[s,k]−m_s} / Σ_k' e^{z[s,k']−m_s} − [k = y_s])·scale
//	correct[s]    = 1 if the first maximum of z_s (lowest k) is at y_s, else 0.
//
// dLogits is the gradient of scale·Σ_s loss[s] (scale = 1/batch for the mean loss).
// logits and dLogits are (n,k), loss, correct and labels (n). A label outside [0, k)
// panics before anything is written.
func SoftmaxCrossEntropy(loss, dLogits []float64, correct []int32, logits []float64, labels []int32, n, k int, scale float64) {
	if n < 0 || k < 1 || len(loss) != n || len(dLogits) != n*k || len(correct) != n || len(logits) != n*k || len(labels) != n {
		panic(errLossLen)
	}
	for _, y := range labels {
		if y < 0 || int(y) >= k {
			panic(errLossLabel)
		}
	}
	for s := range n {
		z := logits[s*k : (s+1)*k]
		y := int(labels[s])
		best := 0
		for j := range k {
			if z[j] > z[best] {
				best = j
			}
		}
		m := z[best]
		var sum float64
		for j := range k {
			sum += math.Exp(z[j] - m)
		}
		loss[s] = math.Log(sum) - (z[y] - m)
		for j := range k {
			p := math.Exp(z[j]-m) / sum
			if j == y {
				p--
			}
			dLogits[s*k+j] = p * scale
		}
		correct[s] = 0
		if best == y {
			correct[s] = 1
		}
	}
}

// SGDUpdate takes one step of stochastic gradient descent on the parameters w with
// gradient g and momentum buffer v, as torch.optim.SGD without dampening:
//
//	μ ≠ 0:  v[i] = μ·v[i] + g[i],  w[i] = w[i] − lr·v[i]
//	μ = 0:  w[i] = w[i] − lr·g[i],  v left unchanged.
//
// w, v and g have one length; w and v are updated in place.
func SGDUpdate(w, v, g []float64, lr, momentum float64) {
	checkSame(errSGDLen, len(w), len(v), len(g))
	for i := range w {
		if momentum == 0 {
			w[i] -= lr * g[i]
		} else {
			v[i] = momentum*v[i] + g[i]
			w[i] -= lr * v[i]
		}
	}
}
