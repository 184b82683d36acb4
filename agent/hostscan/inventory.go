package hostscan

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/host"
	"github.com/shirou/gopsutil/v3/net"
	"github.com/shirou/gopsutil/v3/process"
)

// inventory describes the running system. Each source is optional: what a
// platform lacks (no utmp, no permission to see other users' sockets) is
// left out, never an error.
func inventory(ctx context.Context, log *slog.Logger) map[string]string {
	a := map[string]string{}
	if info, err := host.InfoWithContext(ctx); err == nil {
		set := func(k, v string) {
			if v != "" {
				a[k] = v
			}
		}
		set("hostname", info.Hostname)
		set("host_id", info.HostID)
		set("os", info.OS)
		set("platform", info.Platform)
		set("platform_version", info.PlatformVersion)
		set("kernel", info.KernelVersion)
		set("arch", info.KernelArch)
		set("virtualization", info.VirtualizationSystem)
		if info.BootTime > 0 {
			a["boot_time"] = time.Unix(int64(info.BootTime), 0).UTC().Format(time.RFC3339)
		}
	} else {
		log.Debug("host info unavailable", "err", err)
	}
	if ifs, err := net.InterfacesWithContext(ctx); err == nil {
		var ips []string
		for _, i := range ifs {
			for _, ad := range i.Addrs {
				ip, _, _ := strings.Cut(ad.Addr, "/")
				if ip != "127.0.0.1" && ip != "::1" {
					ips = append(ips, ip)
				}
			}
		}
		sort.Strings(ips)
		if len(ips) > 0 {
			a["ip_addresses"] = strings.Join(ips, ",")
		}
	}
	if conns, err := net.ConnectionsWithContext(ctx, "inet"); err == nil {
		seen := map[string]bool{}
		var listen []string
		for _, c := range conns {
			if c.Status != "LISTEN" && !(c.Type == 2 && c.Raddr.Port == 0 && c.Laddr.Port != 0) {
				continue
			}
			proto := "tcp"
			if c.Type == 2 {
				proto = "udp"
			}
			name := ""
			if c.Pid > 0 {
				if p, err := process.NewProcessWithContext(ctx, c.Pid); err == nil {
					name, _ = p.NameWithContext(ctx)
				}
			}
			s := fmt.Sprintf("%s/%d", proto, c.Laddr.Port)
			if name != "" {
				s += " " + name
			}
			if !seen[s] {
				seen[s] = true
				listen = append(listen, s)
			}
		}
		sort.Slice(listen, func(i, j int) bool { return portOf(listen[i]) < portOf(listen[j]) })
		if len(listen) > 0 {
			a["listening"] = strings.Join(listen[:min(len(listen), 100)], ", ")
		}
	}
	if users, err := host.UsersWithContext(ctx); err == nil {
		a["sessions"] = strconv.Itoa(len(users))
	}
	return a
}

func portOf(s string) int {
	_, rest, _ := strings.Cut(s, "/")
	p, _, _ := strings.Cut(rest, " ")
	n, _ := strconv.Atoi(p)
	return n
}
