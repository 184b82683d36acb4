// Package helm holds the Helm chart (sightline/) and its test: the chart
// is rendered as `helm template` does (the Helm Go library, client only),
// every rendered object is decoded strictly into its Kubernetes type, and
// the collector and agent configuration it renders is loaded by the real
// config loaders.
package helm_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	agentconfig "github.com/sightline-dev/sightline/agent/config"
	collectorconfig "github.com/sightline-dev/sightline/collector/config"
	"github.com/sightline-dev/sightline/collector/keys"
)

const (
	chartDir  = "sightline"
	release   = "sl"
	namespace = "sightline"
)

// object is one rendered object, decoded into its Kubernetes type.
type object struct {
	kind, name string
	hook       bool // rendered as a Helm hook (not part of the release manifest)
	obj        any
}

// rendered is what one `helm template` gives.
type rendered []object

// newObject returns an empty value of the Kubernetes type of kind; the
// chart renders no other kinds.
func newObject(t *testing.T, apiVersion, kind string) any {
	t.Helper()
	types := map[string]any{
		"v1/ConfigMap":                       &corev1.ConfigMap{},
		"v1/Secret":                          &corev1.Secret{},
		"v1/Service":                         &corev1.Service{},
		"v1/ServiceAccount":                  &corev1.ServiceAccount{},
		"apps/v1/Deployment":                 &appsv1.Deployment{},
		"apps/v1/DaemonSet":                  &appsv1.DaemonSet{},
		"batch/v1/Job":                       &batchv1.Job{},
		"networking.k8s.io/v1/NetworkPolicy": &networkingv1.NetworkPolicy{},
		"policy/v1/PodDisruptionBudget":      &policyv1.PodDisruptionBudget{},
	}
	o, ok := types[apiVersion+"/"+kind]
	require.Truef(t, ok, "the chart rendered %s %s, which this test does not know: add its type", apiVersion, kind)
	return o
}

// render renders the chart with values (nil: the defaults) and decodes
// every object strictly: an unknown or misplaced field fails.
func render(t *testing.T, values map[string]any) rendered {
	t.Helper()
	ch, err := loader.Load(chartDir)
	require.NoError(t, err)
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun = true
	install.ClientOnly = true
	install.Replace = true
	install.ReleaseName = release
	install.Namespace = namespace
	rel, err := install.Run(ch, values)
	require.NoError(t, err)

	var out rendered
	decode := func(manifest string, hook bool) {
		docs := releaseutil.SplitManifests(manifest)
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			doc := docs[k]
			var tm metav1.TypeMeta
			require.NoError(t, yaml.Unmarshal([]byte(doc), &tm))
			if tm.Kind == "" {
				continue // an empty document (a template rendered nothing)
			}
			o := newObject(t, tm.APIVersion, tm.Kind)
			require.NoErrorf(t, yaml.UnmarshalStrict([]byte(doc), o), "%s does not decode strictly:\n%s", tm.Kind, doc)
			meta := o.(metav1.Object)
			out = append(out, object{kind: tm.Kind, name: meta.GetName(), hook: hook, obj: o})
		}
	}
	decode(rel.Manifest, false)
	for _, h := range rel.Hooks {
		decode(h.Manifest, true)
	}
	require.NotEmpty(t, out)
	seen := map[string]bool{}
	for _, o := range out {
		id := o.kind + "/" + o.name
		require.Falsef(t, seen[id], "%s rendered twice", id)
		seen[id] = true
	}
	return out
}

func get[T any](t *testing.T, r rendered, kind, name string) (T, object) {
	t.Helper()
	for _, o := range r {
		if o.kind == kind && o.name == name {
			v, ok := o.obj.(T)
			require.True(t, ok)
			return v, o
		}
	}
	var zero T
	require.Failf(t, "missing object", "%s %s was not rendered", kind, name)
	return zero, object{}
}

func has(r rendered, kind, name string) bool {
	return slices.ContainsFunc(r, func(o object) bool { return o.kind == kind && o.name == name })
}

func valuesFile(t *testing.T, path string) map[string]any {
	t.Helper()
	v, err := chartutil.ReadValuesFile(path)
	require.NoError(t, err)
	return v
}

func TestChartRenders(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]any
		// what the values ask for
		clickhouseCA, clientCA, generatedKey, hostNetwork bool
	}{
		{name: "defaults", generatedKey: true, hostNetwork: true},
		{name: "altinity example", values: valuesFile(t, filepath.Join(chartDir, "examples", "altinity.yaml")),
			clickhouseCA: true, generatedKey: true, hostNetwork: true},
		{name: "existing key secret, mutual TLS, pod network", values: map[string]any{
			"collector": map[string]any{
				"keyFile": map[string]any{"existingSecret": "my-keys"},
				"tls":     map[string]any{"clientCASecretName": "agents-ca"},
			},
			"agent": map[string]any{"hostNetwork": false, "clientCertSecret": "agent-client-tls"},
		}, clientCA: true, hostNetwork: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := render(t, tc.values)
			checkCollector(t, r, tc.clickhouseCA, tc.clientCA)
			checkKeySecret(t, r, tc.generatedKey)
			checkMigration(t, r)
			checkAgent(t, r, tc.hostNetwork, tc.clientCA)
			checkNetworkPolicies(t, r)
		})
	}
}

// checkContainer asserts what every container of the chart has.
func checkContainer(t *testing.T, c corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	require.NotNilf(t, sc, "container %s has no securityContext", c.Name)
	require.NotNil(t, sc.ReadOnlyRootFilesystem, c.Name)
	require.True(t, *sc.ReadOnlyRootFilesystem, c.Name)
	require.NotNil(t, sc.AllowPrivilegeEscalation, c.Name)
	require.False(t, *sc.AllowPrivilegeEscalation, c.Name)
	require.NotNil(t, sc.Capabilities, c.Name)
	require.Equal(t, []corev1.Capability{"ALL"}, sc.Capabilities.Drop, c.Name)
	require.NotNil(t, c.Resources.Limits.Memory(), c.Name)
	require.Falsef(t, c.Resources.Limits.Memory().IsZero(), "container %s has no memory limit", c.Name)
}

// checkCollectorPod asserts the collector's and the migration's pod:
// non-root, the key file copied out of its Secret, the config loadable.
func checkCollectorPod(t *testing.T, r rendered, spec corev1.PodSpec, clickhouseCA, clientCA bool) {
	t.Helper()
	psc := spec.SecurityContext
	require.NotNil(t, psc)
	require.NotNil(t, psc.RunAsNonRoot)
	require.True(t, *psc.RunAsNonRoot)
	require.NotNil(t, psc.RunAsUser)
	require.NotZero(t, *psc.RunAsUser)
	require.NotNil(t, spec.AutomountServiceAccountToken)
	require.False(t, *spec.AutomountServiceAccountToken)
	require.Len(t, spec.InitContainers, 1)
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		checkContainer(t, c)
		require.True(t, c.SecurityContext.RunAsNonRoot == nil || *c.SecurityContext.RunAsNonRoot)
	}
	init := spec.InitContainers[0]
	require.Equal(t, []string{"/usr/local/bin/sightline-init", "copy-secret", "--from", "/etc/sightline/keys-secret/keys.json",
		"--to", "/var/lib/sightline-collector/keys.json"}, init.Command)

	vols := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	require.NotNil(t, vols["tls"].Secret)
	require.Equal(t, "sightline-collector-tls", vols["tls"].Secret.SecretName)
	require.NotNil(t, vols["keys"].EmptyDir)
	require.Equal(t, corev1.StorageMediumMemory, vols["keys"].EmptyDir.Medium, "the key file's copy stays off disk")
	require.NotNil(t, vols["key-secret"].Secret)
	_, hasClientCA := vols["client-ca"]
	require.Equal(t, clientCA, hasClientCA)
	_, hasCHCA := vols["clickhouse-ca"]
	require.Equal(t, clickhouseCA, hasCHCA)

	main := spec.Containers[0]
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range main.VolumeMounts {
		mounts[m.MountPath] = m
		if m.Name != "keys" && m.Name != "tmp" {
			require.Truef(t, m.ReadOnly, "mount %s must be read-only", m.MountPath)
		}
	}
	require.Equal(t, "tls", mounts["/etc/sightline/tls"].Name)
	require.Equal(t, "keys", mounts["/var/lib/sightline-collector"].Name)
	require.Equal(t, "config", mounts["/etc/sightline/collector.yaml"].Name)

	// The rendered collector.yaml is what the real loader accepts (unknown
	// keys are errors there), with its files where the mounts put them.
	cm, _ := get[*corev1.ConfigMap](t, r, "ConfigMap", vols["config"].ConfigMap.Name)
	c, root := loadCollectorConfig(t, cm.Data["collector.yaml"], clickhouseCA)
	require.Equal(t, "/var/lib/sightline-collector/keys.json", c.KeyFile)
	require.True(t, c.TLS.Enabled())
	require.Equal(t, root+"/etc/sightline/tls/tls.crt", c.TLS.CertFile)
	require.Equal(t, root+"/etc/sightline/tls/tls.key", c.TLS.KeyFile)
	require.Equal(t, clientCA, c.TLS.ClientCAFile == root+"/etc/sightline/client-ca/ca.crt")
	require.Equal(t, root+"/etc/sightline/clickhouse/password", c.ClickHouse.PasswordFile)
	require.Equal(t, "pw", c.ClickHouse.Password)
	require.Equal(t, clickhouseCA, c.ClickHouse.CAFile == root+"/etc/sightline/clickhouse-ca/ca.crt")
	require.Equal(t, "0.0.0.0:8443", c.Listen)
}

func checkCollector(t *testing.T, r rendered, clickhouseCA, clientCA bool) {
	t.Helper()
	d, o := get[*appsv1.Deployment](t, r, "Deployment", release+"-sightline-collector")
	require.False(t, o.hook)
	checkCollectorPod(t, r, d.Spec.Template.Spec, clickhouseCA, clientCA)
	c := d.Spec.Template.Spec.Containers[0]
	require.Equal(t, []string{"serve", "--config", "/etc/sightline/collector.yaml"}, c.Args)
	require.Len(t, c.Ports, 1)
	require.Equal(t, "https", c.Ports[0].Name)
	for _, p := range []struct {
		probe *corev1.Probe
		path  string
	}{{c.LivenessProbe, "/healthz"}, {c.ReadinessProbe, "/readyz"}, {c.StartupProbe, "/healthz"}} {
		require.NotNil(t, p.probe)
		if clientCA {
			// Mutual TLS refuses the kubelet (no client certificate): the
			// probes check the port only.
			require.Nil(t, p.probe.HTTPGet)
			require.NotNil(t, p.probe.TCPSocket)
			require.Equal(t, "https", p.probe.TCPSocket.Port.String())
			continue
		}
		require.NotNil(t, p.probe.HTTPGet)
		require.Equal(t, p.path, p.probe.HTTPGet.Path)
		require.Equal(t, corev1.URISchemeHTTPS, p.probe.HTTPGet.Scheme)
		require.Equal(t, "https", p.probe.HTTPGet.Port.String())
	}
	svc, _ := get[*corev1.Service](t, r, "Service", release+"-sightline-collector")
	require.Equal(t, d.Spec.Selector.MatchLabels, svc.Spec.Selector)
	require.Equal(t, d.Spec.Template.Labels["app.kubernetes.io/component"], "collector")
	_, _ = get[*policyv1.PodDisruptionBudget](t, r, "PodDisruptionBudget", release+"-sightline-collector")
}

func checkKeySecret(t *testing.T, r rendered, generated bool) {
	t.Helper()
	name := release + "-sightline-keys"
	if !generated {
		require.False(t, has(r, "Secret", name), "an existing key Secret is used, none generated")
		d, _ := get[*appsv1.Deployment](t, r, "Deployment", release+"-sightline-collector")
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Name == "key-secret" {
				require.Equal(t, "my-keys", v.Secret.SecretName)
			}
		}
		return
	}
	s, o := get[*corev1.Secret](t, r, "Secret", name)
	require.True(t, o.hook, "the key Secret is a hook: created before the migration, never replaced by an upgrade")
	require.Equal(t, "pre-install", s.Annotations["helm.sh/hook"])
	require.Equal(t, "keep", s.Annotations["helm.sh/resource-policy"])
	// What the chart generates is a key file the collector takes.
	k, err := keys.Parse(s.Data["keys.json"])
	require.NoError(t, err)
	require.Equal(t, uint32(1), k.Generation())
	require.Len(t, k.TokenKeyHex(), 64)
}

func checkMigration(t *testing.T, r rendered) {
	t.Helper()
	j, o := get[*batchv1.Job](t, r, "Job", release+"-sightline-migrate")
	require.True(t, o.hook)
	require.Equal(t, "pre-install,pre-upgrade", j.Annotations["helm.sh/hook"])
	require.Equal(t, "before-hook-creation", j.Annotations["helm.sh/hook-delete-policy"])
	spec := j.Spec.Template.Spec
	require.Equal(t, corev1.RestartPolicyNever, spec.RestartPolicy)
	require.Equal(t, []string{"migrate", "--config", "/etc/sightline/collector.yaml"}, spec.Containers[0].Args)
	// Its config is a hook too, made before it (the release's ConfigMap
	// does not exist yet at install), with the same content.
	cm, co := get[*corev1.ConfigMap](t, r, "ConfigMap", release+"-sightline-migrate")
	require.True(t, co.hook)
	require.Less(t, weight(t, cm.Annotations), weight(t, j.Annotations))
	rel, _ := get[*corev1.ConfigMap](t, r, "ConfigMap", release+"-sightline-collector")
	require.Equal(t, rel.Data, cm.Data)
	if has(r, "Secret", release+"-sightline-keys") {
		s, _ := get[*corev1.Secret](t, r, "Secret", release+"-sightline-keys")
		require.Less(t, weight(t, s.Annotations), weight(t, cm.Annotations), "the key Secret exists before the migration")
	}
	d, _ := get[*appsv1.Deployment](t, r, "Deployment", release+"-sightline-collector")
	clickhouseCA := slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "clickhouse-ca" })
	clientCA := slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "client-ca" })
	checkCollectorPod(t, r, spec, clickhouseCA, clientCA)
}

func weight(t *testing.T, ann map[string]string) int {
	t.Helper()
	w := ann["helm.sh/hook-weight"]
	n := 0
	neg := strings.HasPrefix(w, "-")
	for _, c := range strings.TrimPrefix(w, "-") {
		require.True(t, c >= '0' && c <= '9', w)
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n
}

func checkAgent(t *testing.T, r rendered, hostNetwork, clientCert bool) {
	t.Helper()
	ds, _ := get[*appsv1.DaemonSet](t, r, "DaemonSet", release+"-sightline-agent")
	spec := ds.Spec.Template.Spec
	require.Equal(t, hostNetwork, spec.HostNetwork)
	require.NotNil(t, spec.AutomountServiceAccountToken)
	require.False(t, *spec.AutomountServiceAccountToken)
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		checkContainer(t, c)
	}
	// The only capability: read any file (CAP_DAC_READ_SEARCH), write none.
	main := spec.Containers[0]
	require.Equal(t, []corev1.Capability{"DAC_READ_SEARCH"}, main.SecurityContext.Capabilities.Add)
	require.Empty(t, spec.InitContainers[0].SecurityContext.Capabilities.Add)
	require.Equal(t, []string{"run", "--config", "/etc/sightline/agent.yaml"}, main.Args)
	// Enrollment happens once per node.
	require.Equal(t, []string{"/usr/local/bin/sightline-init", "unless-exists", "/var/lib/sightline-agent/credentials.json", "--",
		"/usr/local/bin/sightline-agent", "enroll", "--config", "/etc/sightline/agent.yaml",
		"--enroll-secret-file", "/etc/sightline/enroll/secret"}, spec.InitContainers[0].Command)

	vols := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		vols[v.Name] = v
	}
	host := vols["host"].HostPath
	require.NotNil(t, host)
	require.Equal(t, "/", host.Path)
	var hostMount *corev1.VolumeMount
	for i, m := range main.VolumeMounts {
		if m.Name == "host" {
			hostMount = &main.VolumeMounts[i]
		}
		if m.Name != "data" && m.Name != "tmp" {
			require.Truef(t, m.ReadOnly, "mount %s must be read-only", m.MountPath)
		}
	}
	require.NotNil(t, hostMount)
	require.Equal(t, "/host", hostMount.MountPath)
	require.True(t, hostMount.ReadOnly, "the node is mounted read-only")
	require.NotNil(t, hostMount.RecursiveReadOnly)
	require.Equal(t, corev1.RecursiveReadOnlyIfPossible, *hostMount.RecursiveReadOnly)
	for _, c := range spec.InitContainers {
		for _, m := range c.VolumeMounts {
			require.NotEqual(t, "host", m.Name, "enrollment does not see the node")
		}
	}
	require.NotNil(t, vols["data"].HostPath)
	require.Equal(t, "/var/lib/sightline-agent", vols["data"].HostPath.Path)
	require.Equal(t, "sightline-collector-tls", vols["collector-ca"].Secret.SecretName)

	// agent.yaml is what the agent's loader takes, and scans the node
	// under the read-only mount (--root /host for the host scan).
	cm, _ := get[*corev1.ConfigMap](t, r, "ConfigMap", vols["config"].ConfigMap.Name)
	path := filepath.Join(t.TempDir(), "agent.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cm.Data["agent.yaml"]), 0o600))
	c, err := agentconfig.Load(path)
	require.NoError(t, err)
	require.Equal(t, "https://"+release+"-sightline-collector."+namespace+".svc:8443", c.Collector)
	require.Equal(t, "/etc/sightline/collector-ca/ca.crt", c.CAFile)
	require.Equal(t, "/var/lib/sightline-agent", c.DataDir)
	require.True(t, c.Scans.Host.Enabled)
	require.Equal(t, "/host", c.Scans.Host.Root)
	require.True(t, c.Scans.FS.Enabled)
	if clientCert {
		require.Equal(t, "/etc/sightline/agent-tls/tls.crt", c.CertFile)
		require.Equal(t, "/etc/sightline/agent-tls/tls.key", c.KeyFile)
		require.Equal(t, "agent-client-tls", vols["agent-tls"].Secret.SecretName)
		for _, ct := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			require.True(t, slices.ContainsFunc(ct.VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.Name == "agent-tls" && m.MountPath == "/etc/sightline/agent-tls" && m.ReadOnly
			}), ct.Name)
		}
	} else {
		require.Empty(t, c.CertFile)
		_, ok := vols["agent-tls"]
		require.False(t, ok)
	}
	// The file scan reads the node under its mount and reports the node's
	// own paths (fsscan.Options.Root), like the host scan.
	require.Equal(t, "/host", c.Scans.FS.Root, "the file scan reads the node's mount")
	require.Equal(t, "/host", c.Scans.Host.Root)
	for _, p := range c.Scans.FS.Paths {
		require.Falsef(t, strings.HasPrefix(p, "/host"), "fs path %s is the node's path, not the pod's", p)
	}
}

func checkNetworkPolicies(t *testing.T, r rendered) {
	t.Helper()
	np, _ := get[*networkingv1.NetworkPolicy](t, r, "NetworkPolicy", release+"-sightline-collector")
	require.ElementsMatch(t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}, np.Spec.PolicyTypes)
	require.Len(t, np.Spec.Ingress, 1)
	require.Len(t, np.Spec.Ingress[0].Ports, 1)
	require.Equal(t, 8443, np.Spec.Ingress[0].Ports[0].Port.IntValue())
	// Out: DNS and ClickHouse, on the port of clickhouse.addr.
	require.Len(t, np.Spec.Egress, 2)
	require.Equal(t, 9440, np.Spec.Egress[1].Ports[0].Port.IntValue())
	// The policy selects the collector's and the migration's pods.
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	require.NoError(t, err)
	d, _ := get[*appsv1.Deployment](t, r, "Deployment", release+"-sightline-collector")
	j, _ := get[*batchv1.Job](t, r, "Job", release+"-sightline-migrate")
	ds, _ := get[*appsv1.DaemonSet](t, r, "DaemonSet", release+"-sightline-agent")
	require.True(t, sel.Matches(labelSet(d.Spec.Template.Labels)))
	require.True(t, sel.Matches(labelSet(j.Spec.Template.Labels)))
	require.False(t, sel.Matches(labelSet(ds.Spec.Template.Labels)))

	ap, _ := get[*networkingv1.NetworkPolicy](t, r, "NetworkPolicy", release+"-sightline-agent")
	require.Empty(t, ap.Spec.Ingress, "nothing may connect to an agent")
	asel, err := metav1.LabelSelectorAsSelector(&ap.Spec.PodSelector)
	require.NoError(t, err)
	require.True(t, asel.Matches(labelSet(ds.Spec.Template.Labels)))
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool   { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) {
	v, ok := l[k]
	return v, ok
}

// loadCollectorConfig loads collector.yaml with collectorconfig.Load, its
// /etc/sightline files made under a scratch directory.
func loadCollectorConfig(t *testing.T, text string, clickhouseCA bool) (collectorconfig.Config, string) {
	t.Helper()
	dir := t.TempDir()
	text = strings.ReplaceAll(text, "/etc/sightline/", dir+"/etc/sightline/")
	files := map[string]string{"etc/sightline/clickhouse/password": "pw\n"}
	if clickhouseCA {
		files["etc/sightline/clickhouse-ca/ca.crt"] = testCA(t)
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o700))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	path := filepath.Join(dir, "collector.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	c, err := collectorconfig.Load(path)
	require.NoError(t, err, text)
	return c, dir
}

// testCA returns a throwaway self-signed CA certificate (PEM), only
// parsed by the config loader, never trusted.
func testCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
