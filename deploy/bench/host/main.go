// Command host writes a host fixture root for the host-scan benchmark:
// -users accounts (passwd, shadow, group with memberships), -rules sudoers
// rules over includes and aliases, and authorized_keys for some users.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sightline-dev/sightline/deploy/bench/internal/benchrun"
)

func main() {
	dir := flag.String("dir", "", "fixture root to create")
	users := flag.Int("users", 10000, "accounts")
	rules := flag.Int("rules", 1000, "sudoers rules")
	flag.Parse()
	benchrun.Required("dir")
	must := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	for _, d := range []string{"etc/sudoers.d", "etc/ssh", "home"} {
		must(os.MkdirAll(filepath.Join(*dir, d), 0o755))
	}
	write := func(name string, fn func(w *bufio.Writer)) {
		must(benchrun.WriteFile(filepath.Join(*dir, name), func(w *bufio.Writer) error {
			fn(w)
			return nil
		}))
	}
	write("etc/passwd", func(w *bufio.Writer) {
		fmt.Fprintln(w, "root:x:0:0:root:/root:/bin/bash")
		for i := 0; i < *users; i++ {
			fmt.Fprintf(w, "u%05d:x:%d:%d::/home/u%05d:/bin/bash\n", i, 10000+i, 10000+i%500, i)
		}
	})
	write("etc/shadow", func(w *bufio.Writer) {
		fmt.Fprintln(w, "root:$6$a$b:20000:0:99999:7:::")
		for i := 0; i < *users; i++ {
			fmt.Fprintf(w, "u%05d:$6$salt$hash%d:20000:0:99999:7:::\n", i, i)
		}
	})
	write("etc/group", func(w *bufio.Writer) {
		fmt.Fprintln(w, "root:x:0:")
		for g := 0; g < 500; g++ {
			fmt.Fprintf(w, "g%03d:x:%d:", g, 10000+g)
			for m := 0; m < 20; m++ {
				if m > 0 {
					fmt.Fprint(w, ",")
				}
				fmt.Fprintf(w, "u%05d", (g*37+m*101)%*users)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "sudo:x:27:u00001,u00002\n")
	})
	write("etc/sudoers", func(w *bufio.Writer) {
		w.WriteString("Defaults env_reset\nUser_Alias OPS = u00010, u00011, %g001\nCmnd_Alias SHELLS = /bin/sh, /bin/bash\n" +
			"root ALL=(ALL:ALL) ALL\n%sudo ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n")
	})
	for f := 0; f < 10; f++ {
		write(fmt.Sprintf("etc/sudoers.d/%02d-rules", f), func(w *bufio.Writer) {
			for r := 0; r < *rules/10; r++ {
				i := (f*(*rules/10) + r) % *users
				switch r % 4 {
				case 0:
					fmt.Fprintf(w, "u%05d ALL=(root) NOPASSWD: /usr/bin/systemctl restart svc%d\n", i, r)
				case 1:
					fmt.Fprintf(w, "%%g%03d ALL=(ALL) ALL, !SHELLS\n", r%500)
				case 2:
					fmt.Fprintf(w, "OPS ALL=(postgres) /usr/bin/psql -d db%d\n", r)
				default:
					fmt.Fprintf(w, "u%05d,u%05d web%d = (root) /usr/bin/journalctl -u app%d\n", i, (i+1)%*users, r, r)
				}
			}
		})
	}
	write("etc/ssh/sshd_config", func(w *bufio.Writer) { fmt.Fprintln(w, "PermitRootLogin no") })
	for i := 0; i < *users; i += 10 {
		d := filepath.Join(*dir, fmt.Sprintf("home/u%05d/.ssh", i))
		must(os.MkdirAll(d, 0o755))
		must(os.WriteFile(filepath.Join(d, "authorized_keys"),
			[]byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4 key\n"), 0o644))
	}
	fmt.Printf("wrote %d accounts, %d sudoers rules under %s\n", *users, *rules, *dir)
}
