// `stack build`, `stack image build`, `stack image tag` and `stack builder prune`: images from Dockerfiles.
#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "cmd/environment.h"
#include "compose/project_containers.h"
#include "compose/service_builds.h"
#include "compose/host.h"
#include "cmd/project_ref.h"
#include "ui/console_image_progress.h"

namespace stack::cmd {

using namespace stack::compose;
namespace {

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

// --build-arg K=V, or K for the caller's value of K (left out when it has none), as Docker reads them.
std::map<std::string, std::string> build_args_of(const std::vector<std::string>& flags) {
  std::map<std::string, std::string> out;
  for (const std::string& arg : with_values_from_environment(flags)) {
    size_t eq = arg.find('=');
    out[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  return out;
}

void add_progress_options(CLI::App* sub, BuildOptions& o, std::vector<std::string>& build_args) {
  sub->add_flag("--no-cache", o.no_cache, "Run every step, using no cached result");
  sub->add_option("--build-arg", build_args, "KEY=VALUE for an ARG (KEY alone: its value here)");
  sub->add_flag("-q,--quiet", o.quiet, "Print nothing but errors (and, for image build, the image ID)");
  sub->add_option("--progress", o.progress, "auto, plain or tty")->check(CLI::IsMember({"auto", "plain", "tty"}));
}

}  // namespace

void add_image_build_command(CLI::App* image, int& exit_code) {
  struct Flags {
    BuildOptions options;
    std::vector<std::string> tags, build_args, labels;
    std::string file, target, context;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* build = image->add_subcommand("build", "Build an image from a Dockerfile");
  build->add_option("-t,--tag", f->tags, "NAME[:TAG] (repeat for more names)")->required();
  build->add_option("-f,--file", f->file, "The Dockerfile (default: CONTEXT/Dockerfile)");
  build->add_option("--target", f->target, "The stage to build (default: the last)");
  build->add_option("--label", f->labels, "KEY=VALUE set on the image");
  build->add_flag("--pull", f->options.pull, "Pull FROM images even when the store has them");
  add_progress_options(build, f->options, f->build_args);
  build->add_option("context", f->context, "The build context: a directory")->required();
  build->callback([f, &exit_code] {
    builder::BuildRequest request;
    request.context = f->context;
    request.dockerfile = f->file.empty() ? f->context + "/Dockerfile" : f->file;
    request.build_args = build_args_of(f->build_args);
    request.target = f->target;
    request.no_cache = f->options.no_cache;
    for (const std::string& label : f->labels) {
      size_t eq = label.find('=');
      request.labels[label.substr(0, eq)] = eq == std::string::npos ? "" : label.substr(eq + 1);
    }
    for (const std::string& tag : f->tags) {
      std::string error;
      auto ref = runtime::parse_image_reference(tag, &error);
      if (!ref) {
        exit_code = fail("--tag " + tag + ": " + error);
        return;
      }
      request.tags.push_back(*ref);
    }
    runtime::Image built;
    ui::ConsoleImageProgress progress;
    if (runtime::Status s = build_with_progress(request, f->options, progress, &built); !s) {
      exit_code = fail(s.message());
      return;
    }
    if (f->options.quiet) std::cout << built.config_digest << "\n";
    else std::cerr << "Built " << built.reference << " (" << built.id() << ")\n";
    exit_code = 0;
  });

  auto names = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* tag = image->add_subcommand("tag", "Give an image another name");
  tag->add_option("source", names->first, "NAME[:TAG] or image ID")->required();
  tag->add_option("target", names->second, "NAME[:TAG]")->required();
  tag->callback([names, &exit_code] {
    std::string error;
    auto ref = runtime::parse_image_reference(names->second, &error);
    if (!ref) {
      exit_code = fail(names->second + ": " + error);
      return;
    }
    runtime::Image tagged;
    if (runtime::Status s = runtime::ImageStore(images_root()).tag(names->first, *ref, &tagged); !s) {
      exit_code = fail(s.message());
      return;
    }
    exit_code = 0;
  });
}

void add_build_command(CLI::App& app, const GlobalOptions& global, int& exit_code) {
  struct Flags {
    BuildOptions options;
    std::vector<std::string> build_args, services;
    bool pull = false;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* build = app.add_subcommand("build", "Build the images of services with a build section");
  add_progress_options(build, f->options, f->build_args);
  build->add_flag("--pull", f->pull, "Pull FROM images even when the store has them");
  build->add_option("services", f->services, "SERVICE... (default: all)");
  build->callback([f, &global, &exit_code] {
    compose::ServiceBuildOptions o{f->services, f->options};
    o.build.pull = f->pull;
    o.build.build_args = build_args_of(f->build_args);
    exit_code = on_project(global, true, [&](compose::Compose& engine, const ProjectRef& ref, int*) {
      return engine.build(ref, o);
    });
  });

  CLI::App* builder = app.add_subcommand("builder", "Manage the build cache");
  builder->require_subcommand(1);
  CLI::App* prune = builder->add_subcommand("prune", "Forget every cached build step and free the layers only the cache kept");
  prune->callback([&exit_code] {
    int freed = 0;
    if (runtime::Status s = builder::prune_build_cache(build_paths(), &freed); !s) {
      exit_code = fail(s.message());
      return;
    }
    std::cout << "Freed " << freed << " cached layer" << (freed == 1 ? "" : "s") << "\n";
    exit_code = 0;
  });
}

}  // namespace stack::cmd
