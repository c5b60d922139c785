// Command validate checks Kubernetes manifests offline, as strictly as decoding allows: every
// object read from the files named (or stdin) must be of a kind this program knows, and must
// decode into that kind's Go type from k8s.io/api (or the Prometheus Operator's monitoring/v1)
// with no unknown or duplicate field and no value of the wrong type. On top of decoding it checks
// what the API server would refuse and decoding cannot see: a workload's selector must match its
// pod template's labels, and a probe or Service port named must be a container port's name.
//
//	kubectl kustomize deploy/k8s/overlays/prod | go run ./deploy/k8s/validate
//
// It prints one line per object and exits 1 naming every problem.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

func newScheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return scheme
}

func main() {
	decoder := serializer.NewCodecFactory(newScheme(), serializer.EnableStrict).UniversalDeserializer()
	var inputs []io.Reader
	if len(os.Args) > 1 {
		for _, path := range os.Args[1:] {
			file, err := os.Open(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			defer file.Close()
			inputs = append(inputs, file)
		}
	} else {
		inputs = append(inputs, os.Stdin)
	}
	objects, problems := 0, 0
	for _, input := range inputs {
		reader := utilyaml.NewYAMLReader(bufio.NewReader(input))
		for {
			document, err := reader.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "unreadable YAML: %v\n", err)
				os.Exit(1)
			}
			if len(bytes.TrimSpace(document)) == 0 || strings.TrimSpace(string(document)) == "---" {
				continue
			}
			objects++
			object, kind, err := decoder.Decode(document, nil, nil)
			name := describe(document)
			if err != nil {
				problems++
				fmt.Printf("FAIL %s: %v\n", name, err)
				continue
			}
			errs := check(object)
			for _, problem := range errs {
				fmt.Printf("FAIL %s %s: %s\n", kind.Kind, name, problem)
			}
			problems += len(errs)
			if len(errs) == 0 {
				fmt.Printf("ok   %s %s\n", kind.Kind, name)
			}
		}
	}
	fmt.Printf("%d objects, %d problems\n", objects, problems)
	if objects == 0 || problems > 0 {
		os.Exit(1)
	}
}

// describe names an object for the report from its metadata, even one that does not decode.
func describe(document []byte) string {
	var head struct {
		Kind     string            `json:"kind"`
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := utilyaml.Unmarshal(document, &head); err != nil || head.Metadata.Name == "" {
		return "(unnamed object)"
	}
	return head.Metadata.Name
}

func check(object runtime.Object) []string {
	switch o := object.(type) {
	case *appsv1.Deployment:
		return checkWorkload(o.Spec.Selector, &o.Spec.Template)
	case *appsv1.StatefulSet:
		return checkWorkload(o.Spec.Selector, &o.Spec.Template)
	case *policyv1.PodDisruptionBudget:
		if o.Spec.Selector == nil {
			return []string{"no selector"}
		}
	case *corev1.Service:
		var problems []string
		for _, port := range o.Spec.Ports {
			if port.Port == 0 {
				problems = append(problems, fmt.Sprintf("port %q has no number", port.Name))
			}
		}
		return problems
	}
	return nil
}

// checkWorkload: the selector selects the template's pods, and every named port a probe uses exists.
func checkWorkload(selector *metav1.LabelSelector, template *corev1.PodTemplateSpec) []string {
	var problems []string
	parsed, err := metav1.LabelSelectorAsSelector(selector)
	if err != nil || selector == nil {
		problems = append(problems, fmt.Sprintf("bad selector: %v", err))
	} else if !parsed.Matches(labels.Set(template.Labels)) {
		problems = append(problems, fmt.Sprintf("selector %s does not match the pod template's labels %v", parsed, template.Labels))
	}
	// Init containers run under the same securityContext rules (e.g. the analytics pods' copy of Flink's conf/).
	for _, container := range append(append([]corev1.Container{}, template.Spec.InitContainers...), template.Spec.Containers...) {
		named := map[string]bool{}
		for _, port := range container.Ports {
			named[port.Name] = true
		}
		for what, probe := range map[string]*corev1.Probe{
			"readinessProbe": container.ReadinessProbe, "livenessProbe": container.LivenessProbe, "startupProbe": container.StartupProbe,
		} {
			if probe == nil {
				continue
			}
			var port *intstr.IntOrString
			if probe.HTTPGet != nil {
				port = &probe.HTTPGet.Port
			} else if probe.TCPSocket != nil {
				port = &probe.TCPSocket.Port
			}
			if port != nil && port.Type == intstr.String && !named[port.StrVal] {
				problems = append(problems, fmt.Sprintf("container %s: %s uses port %q, which no container port is named", container.Name, what, port.StrVal))
			}
		}
		if container.SecurityContext == nil || container.SecurityContext.ReadOnlyRootFilesystem == nil || !*container.SecurityContext.ReadOnlyRootFilesystem {
			problems = append(problems, fmt.Sprintf("container %s: the root filesystem must be read-only (securityContext.readOnlyRootFilesystem)", container.Name))
		}
	}
	if sc := template.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		problems = append(problems, "pods must run as non-root (securityContext.runAsNonRoot)")
	}
	return problems
}
