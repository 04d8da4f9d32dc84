// `stack image pull`: an image from a registry into the local store.
#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "registry/image_pull.h"

namespace stack::cmd {

void add_image_pull_command(CLI::App* image, int& exit_code) {
  struct Flags {
    std::string reference;
    std::vector<std::string> insecure;
    bool quiet = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* pull = image->add_subcommand("pull", "Pull an image from a registry");
  pull->add_option("reference", f->reference, "NAME[:TAG] or NAME@sha256:...")->required();
  pull->add_option("--insecure-registry", f->insecure, "HOST[:PORT] reached over plain HTTP (loopback always is)");
  pull->add_flag("-q,--quiet", f->quiet, "Print only the image ID");
  pull->callback([f, &exit_code] {
    registry::PullOptions options;
    options.insecure_registries = f->insecure;
    options.scratch = images_root() + "/.pulls";
    runtime::ImageStore store(images_root());
    runtime::Image image;
    auto progress = [f](const std::string& line) {
      if (!f->quiet) std::cerr << line << "\n";
    };
    if (runtime::Status s = registry::pull_image(f->reference, options, store, progress, &image); !s) {
      std::cerr << "error: " << s.message() << "\n";
      exit_code = 1;
      return;
    }
    if (f->quiet) std::cout << image.config_digest << "\n";
    else std::cerr << "Pulled " << image.reference << " (" << image.id() << ")\n";
    exit_code = 0;
  });
}

}  // namespace stack::cmd
