// `stack convert --to kubernetes`: the project as Kubernetes manifests, on stdout or one file per object.
#include <sys/stat.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "compose/project_containers.h"
#include "kube/kubernetes_manifests.h"
#include "runtime/on_disk.h"
#include "cmd/project_ref.h"

namespace stack::cmd {

using namespace stack::compose;

void add_convert_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  struct Flags {
    std::string to, output = "-";
    kube::ConvertOptions options;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* convert = app.add_subcommand("convert", "Translate the project for another platform (Kubernetes manifests)");
  convert->add_option("--to", f->to, "Target platform")->required()->check(CLI::IsMember({"kubernetes"}));
  convert->add_option("-o,--output", f->output, "A directory for one file per object, or - for one stream (default)");
  convert->add_option("-n,--namespace", f->options.namespace_name, "metadata.namespace of every object");
  convert->add_option("--image-pull-policy", f->options.image_pull_policy, "Always, IfNotPresent or Never (default: from pull_policy)")
      ->check(CLI::IsMember({"Always", "IfNotPresent", "Never"}));
  convert->add_option("--storage-class", f->options.storage_class, "storageClassName of the volume claims");
  convert->add_option("--controller", f->options.controller, "What long-running services become: deployment or statefulset")
      ->check(CLI::IsMember({"deployment", "statefulset"}));
  convert->add_option("--expose-published", f->options.expose_published, "Published ports also as a nodeport or loadbalancer Service")
      ->check(CLI::IsMember({"nodeport", "loadbalancer"}));
  convert->add_option("--volume-size", f->options.volume_size, "Size of a claim whose volume has no x-stack-size label (default 1Gi)");
  convert->add_flag("--allow-hostpath", f->options.allow_hostpath, "Bind mounts as hostPath volumes (the node's files)");
  convert->add_option("--wait-image", f->options.wait_image, "Image of the init containers that wait for a Service (needs sh and nc)");
  convert->add_option("--kubectl-image", f->options.kubectl_image, "Image of the init containers that wait for a Job (needs kubectl)");
  convert->callback([f, &global, &exit_code] {
    exit_code = 1;
    std::optional<ProjectRef> ref = find_project(global, true);
    if (!ref || !ref->loaded) return;
    kube::Conversion conversion = kube::convert_to_kubernetes(ref->loaded->tree, *ref->project, f->options);
    for (const std::string& w : conversion.warnings) std::cerr << "warning: " << w << "\n";
    for (const std::string& e : conversion.errors) std::cerr << "error: " << e << "\n";
    if (!conversion.errors.empty()) return;
    if (f->output == "-") {
      for (const kube::Manifest& m : conversion.manifests) std::cout << "---\n" << kube::manifest_yaml(m);
      exit_code = 0;
      return;
    }
    if (runtime::Status s = runtime::make_directories(f->output); !s) {
      std::cerr << "error: " << s.message() << "\n";
      return;
    }
    for (const kube::Manifest& m : conversion.manifests) {
      std::string kind = m.kind;
      std::transform(kind.begin(), kind.end(), kind.begin(), ::tolower);
      std::string path = f->output + "/" + kind + "-" + m.name + ".yaml";
      if (runtime::Status s = runtime::write_file(path, kube::manifest_yaml(m)); !s) {
        std::cerr << "error: " << s.message() << "\n";
        return;
      }
    }
    std::cerr << "Wrote " << conversion.manifests.size() << " manifests to " << f->output << "\n";
    exit_code = 0;
  });
}

}  // namespace stack::cmd
