package safeio

import "golang.org/x/sys/unix"

// resolveFlags keep every step of the resolution inside the root and
// refuse /proc magic links (which would jump anywhere).
const resolveFlags = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS

// probeKernel checks once that openat2 works (Linux 5.6+, and not
// blocked by a seccomp filter, as older container runtimes do).
func (r *Root) probeKernel() bool {
	fd, err := unix.Openat2(r.fd(), ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolveFlags})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

func (r *Root) openat2(name string, flags int) (int, error) {
	how := &unix.OpenHow{Flags: uint64(flags), Resolve: resolveFlags}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(r.fd(), name, how)
		// EAGAIN: a concurrent rename raced the ".." check; try again.
		if err == unix.EINTR || (err == unix.EAGAIN && i < 32) {
			continue
		}
		return fd, err
	}
}
