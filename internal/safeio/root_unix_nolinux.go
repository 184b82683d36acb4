//go:build unix && !linux

package safeio

func (r *Root) probeKernel() bool { return false }

func (r *Root) openat2(string, int) (int, error) { return -1, errNoOpenat2 }
