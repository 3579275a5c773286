package scaleout_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// TestManifests decodes every Kubernetes manifest of deploy/k8s strictly
// into the API types of its apiVersion and kind (an unknown or misspelt
// field fails), and checks what the scale-out relies on: probes on /readyz
// and /healthz, a grace period longer than preStop + drain delay +
// shutdown timeout + plugin stop, a PodDisruptionBudget, an HPA on the
// Deployment, and an Ingress with streaming-friendly settings.
func TestManifests(t *testing.T) {
	files, err := filepath.Glob("deploy/k8s/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	kinds := map[string]any{}
	var config map[string]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := yaml.Unmarshal(doc, &head); err != nil {
				t.Fatalf("%s #%d: %v", f, i, err)
			}
			var obj any
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				obj = &appsv1.Deployment{}
			case "v1 Service":
				obj = &corev1.Service{}
			case "v1 ConfigMap":
				obj = &corev1.ConfigMap{}
			case "v1 Secret":
				obj = &corev1.Secret{}
			case "policy/v1 PodDisruptionBudget":
				obj = &policyv1.PodDisruptionBudget{}
			case "autoscaling/v2 HorizontalPodAutoscaler":
				obj = &autoscalingv2.HorizontalPodAutoscaler{}
			case "networking.k8s.io/v1 Ingress":
				obj = &networkingv1.Ingress{}
			default:
				t.Fatalf("%s #%d: unexpected %s %s", f, i, head.APIVersion, head.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s #%d (%s): %v", f, i, head.Kind, err)
				continue
			}
			kinds[head.Kind] = obj
			if cm, ok := obj.(*corev1.ConfigMap); ok {
				config = cm.Data
			}
		}
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Ingress"} {
		if kinds[k] == nil {
			t.Fatalf("no %s manifest", k)
		}
	}
	d := kinds["Deployment"].(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Error("readiness probe is not on /readyz")
	}
	if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Error("liveness probe is not on /healthz")
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("no preStop sleep (distroless has no shell for an exec sleep)")
	}
	sc := d.Spec.Template.Spec.SecurityContext
	if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Error("the pod may run as root")
	}
	dur := func(k string) time.Duration {
		v, err := time.ParseDuration(config[k])
		if err != nil {
			t.Fatalf("ConfigMap %s: %v", k, err)
		}
		return v
	}
	const pluginStop = 5 * time.Second // ServerConfig.StopTimeout default
	need := time.Duration(c.Lifecycle.PreStop.Sleep.Seconds)*time.Second + dur("TASKBOARD_DRAIN_DELAY") + dur("TASKBOARD_SHUTDOWN_TIMEOUT") + pluginStop
	grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	if grace <= need {
		t.Errorf("terminationGracePeriodSeconds %s does not cover preStop + drain + shutdown + stop = %s", grace, need)
	}
	if probe := time.Duration(c.ReadinessProbe.PeriodSeconds*c.ReadinessProbe.FailureThreshold) * time.Second; probe >= dur("TASKBOARD_DRAIN_DELAY") {
		t.Errorf("readiness turns down after %s, not within the drain delay", probe)
	}
	if h := kinds["HorizontalPodAutoscaler"].(*autoscalingv2.HorizontalPodAutoscaler); h.Spec.ScaleTargetRef.Name != d.Name || h.Spec.ScaleTargetRef.Kind != "Deployment" {
		t.Error("the HPA does not scale the Deployment")
	}
	if p := kinds["PodDisruptionBudget"].(*policyv1.PodDisruptionBudget); p.Spec.Selector == nil || p.Spec.Selector.MatchLabels["app.kubernetes.io/name"] != d.Spec.Selector.MatchLabels["app.kubernetes.io/name"] {
		t.Error("the PDB does not select the Deployment's pods")
	}
	ing := kinds["Ingress"].(*networkingv1.Ingress)
	if ing.Annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] == "" || ing.Annotations["nginx.ingress.kubernetes.io/proxy-buffering"] != "off" {
		t.Error("the Ingress lacks the WebSocket/SSE timeouts or buffering off")
	}
	// Every variable the manifests set is documented in the README's list.
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for k := range config {
		if !strings.Contains(string(readme), "`"+k+"`") {
			t.Errorf("ConfigMap variable %s is not in README.md's list", k)
		}
	}
	for k := range kinds["Secret"].(*corev1.Secret).StringData {
		if !strings.Contains(string(readme), "`"+k+"`") {
			t.Errorf("Secret variable %s is not in README.md's list", k)
		}
	}
}

// TestDockerfile checks the image's promises: multi-stage, static
// (CGO off), distroless or scratch, non-root.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	froms := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(s, -1)
	if len(froms) < 2 {
		t.Error("not a multi-stage build")
	}
	for _, want := range []string{"CGO_ENABLED=0", "gcr.io/distroless/static", "USER 65532"} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
