//go:build linux

package fsscan

import "golang.org/x/sys/unix"

// pseudoFS names the kernel file systems (by statfs magic) whose files are
// its state, not data: reading them tells nothing about personal data
// held on the host, and some never end a read (/proc/kmsg blocks for
// ever). They are never walked, whatever the paths or CrossFilesystems.
var pseudoFS = map[int64]string{
	unix.PROC_SUPER_MAGIC:     "proc",
	unix.SYSFS_MAGIC:          "sysfs",
	unix.DEBUGFS_MAGIC:        "debugfs",
	unix.TRACEFS_MAGIC:        "tracefs",
	unix.SECURITYFS_MAGIC:     "securityfs",
	unix.CGROUP_SUPER_MAGIC:   "cgroup",
	unix.CGROUP2_SUPER_MAGIC:  "cgroup2",
	unix.PSTOREFS_MAGIC:       "pstore",
	unix.BPF_FS_MAGIC:         "bpf",
	0x62656570:                "configfs",
	unix.EFIVARFS_MAGIC:       "efivarfs",
	unix.DEVPTS_SUPER_MAGIC:   "devpts",
	unix.BINFMTFS_MAGIC:       "binfmt_misc",
	unix.SELINUX_MAGIC:        "selinuxfs",
	unix.SMACK_MAGIC:          "smackfs",
	unix.NSFS_MAGIC:           "nsfs",
	unix.HUGETLBFS_MAGIC:      "hugetlbfs",
	0x19800202:                "mqueue",
	0x65735543:                "fusectl",
	unix.BINDERFS_SUPER_MAGIC: "binderfs",
}

// pseudoFSAt names the pseudo file system path is on, or "" (also when
// statfs fails: the walk then reports what it cannot read).
func pseudoFSAt(path string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return ""
	}
	return pseudoFS[int64(st.Type)] //nolint:unconvert // Type is int32 on some platforms
}
