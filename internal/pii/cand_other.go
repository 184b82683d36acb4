//go:build !amd64 || purego

package pii

const haveCandMasks = false

func candMasks(text []byte, q *quietIn, _ bool) int { return candMasksGo(text, nil, q) }

func quietStartsN(q *quietIn, half bool, n int, out, outL *[64]uint64, long bool) {
	if half {
		h := q.halfway()
		q = &h
	}
	quietStartsGo(q, n, out, outL)
	if !long {
		clear(outL[:])
	}
}

func fireN(q *quietIn, n int, cr carry, out *[64]uint64) { fireGo(q, n, cr, out) }

// mayHaveWideSpace is true: plainSpaces' own scans decide.
func mayHaveWideSpace([]byte) bool { return true }
