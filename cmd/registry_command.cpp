// `stack image pull|push`, `stack pull` and `stack push`: images between registries and the local store.
#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "cmd/project_containers.h"
#include "cmd/service_pulls.h"
#include "registry/image_push.h"

namespace stack::cmd {

void add_image_pull_command(CLI::App* image, int& exit_code) {
  struct Flags {
    std::string reference;
    bool quiet = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* pull = image->add_subcommand("pull", "Pull an image from a registry");
  pull->add_option("reference", f->reference, "NAME[:TAG] or NAME@sha256:...")->required();
  pull->add_flag("-q,--quiet", f->quiet, "Print only the image ID");
  pull->callback([f, &exit_code] {
    runtime::Image image;
    if (runtime::Status s = pull_image(f->reference, f->quiet, &image); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    if (f->quiet) std::cout << image.config_digest << "\n";
    else std::cerr << "Pulled " << image.reference << " (" << image.id() << ")\n";
    exit_code = 0;
  });
}

void add_pull_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  struct Flags {
    std::vector<std::string> services;
    bool quiet = false, ignore_failures = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* pull = app.add_subcommand("pull", "Pull the images of services that run a registry image");
  pull->add_option("services", f->services, "SERVICE... (default: all)");
  pull->add_flag("-q,--quiet", f->quiet, "Print nothing but errors");
  pull->add_flag("--ignore-pull-failures", f->ignore_failures, "Warn about an image that fails and go on");
  pull->callback([f, &global, &exit_code] {
    std::optional<ProjectRef> ref = find_project(global, true);
    if (!ref) {
      exit_code = 1;
      return;
    }
    std::vector<const schema::ServiceSpec*> services;
    if (runtime::Status s = named_services(*ref->project, f->services, &services); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    if (runtime::Status s = pull_services(services, "always", f->quiet, f->ignore_failures); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

runtime::Status push_image(const std::string& reference, bool quiet) {
  auto progress = [quiet, &reference](const std::string& line) {
    if (!quiet) std::cerr << reference << ": " << line << "\n";
  };
  return registry::push_image(reference, insecure_registries(), runtime::ImageStore(images_root()), progress);
}

void add_image_push_command(CLI::App* image, int& exit_code) {
  auto f = std::make_shared<std::pair<std::string, bool>>();
  CLI::App* push = image->add_subcommand("push", "Push a local image to the registry its name says");
  push->add_option("reference", f->first, "NAME[:TAG]")->required();
  push->add_flag("-q,--quiet", f->second, "Print nothing but errors");
  push->callback([f, &exit_code] {
    if (runtime::Status s = push_image(f->first, f->second); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    exit_code = 0;
  });
}

void add_push_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  struct Flags {
    std::vector<std::string> services;
    bool quiet = false, ignore_failures = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* push = app.add_subcommand("push", "Push the images of services that name one (image:)");
  push->add_option("services", f->services, "SERVICE... (default: all)");
  push->add_flag("-q,--quiet", f->quiet, "Print nothing but errors");
  push->add_flag("--ignore-push-failures", f->ignore_failures, "Warn about an image that fails and go on");
  push->callback([f, &global, &exit_code] {
    std::optional<ProjectRef> ref = find_project(global, true);
    if (!ref) {
      exit_code = 1;
      return;
    }
    std::vector<const schema::ServiceSpec*> services;
    if (runtime::Status s = named_services(*ref->project, f->services, &services); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    exit_code = 0;
    for (const schema::ServiceSpec* s : services) {
      if (s->image.empty()) continue;  // nothing names where it would go
      if (runtime::Status st = push_image(s->image, f->quiet); !st) {
        std::cerr << (f->ignore_failures ? "warning: service " : "error: service ") << s->name << ": " << st.message() << "\n";
        if (!f->ignore_failures) {
          exit_code = 1;
          return;
        }
      }
    }
  });
}

}  // namespace stack::cmd
