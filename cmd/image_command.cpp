// `stack image import|ls|inspect|rm`: the local image store.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cmd/commands.h"
#include "runtime/container_store.h"
#include "runtime/image_store.h"
#include "compose/host.h"
#include "compose/image_removal.h"

namespace stack::cmd {

using namespace stack::compose;
namespace {

std::string human_size(std::int64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", v, units[u]);
  return buf;
}

nlohmann::json image_json(const runtime::Image& image) {
  return {{"Id", image.config_digest},
          {"RepoTags", {image.reference}},
          {"ManifestDigest", image.manifest_digest},
          {"Created", image.created},
          {"Size", image.size},
          {"RootFS", {{"Type", "layers"}, {"Layers", image.diff_ids}}},
          {"Config", image.config.to_json()}};
}

int fail(const runtime::Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 1;
}

}  // namespace


void add_image_command(CLI::App& app, int& exit_code) {
  CLI::App* image = app.add_subcommand("image", "Manage local images");
  image->require_subcommand(1);

  struct ImportOptions {
    std::string file, reference;
    std::vector<std::string> changes;
  };
  add_image_build_command(image, exit_code);
  add_image_pull_command(image, exit_code);
  add_image_push_command(image, exit_code);
  auto import = std::make_shared<ImportOptions>();
  CLI::App* imp = image->add_subcommand("import", "Make an image from a root filesystem tarball");
  imp->add_option("file", import->file, "ROOTFS.tar[.gz|.zst|...]")->required();
  imp->add_option("reference", import->reference, "NAME[:TAG]")->required();
  imp->add_option("-c,--change", import->changes, "Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER, ...");
  imp->callback([import, &exit_code] {
    std::string error;
    auto ref = runtime::parse_image_reference(import->reference, &error);
    if (!ref) {
      exit_code = fail(runtime::Status::error(error));
      return;
    }
    runtime::ImageConfig config;
    config.env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (const std::string& change : import->changes) {
      if (runtime::Status s = runtime::apply_change(config, change); !s) {
        exit_code = fail(s);
        return;
      }
    }
    runtime::ImageStore store(images_root());
    runtime::Image image;
    if (runtime::Status s = store.import_rootfs(import->file, *ref, config, &image); !s) {
      exit_code = fail(s);
      return;
    }
    std::cout << image.config_digest << "\n";
    exit_code = 0;
  });

  auto load_file = std::make_shared<std::string>();
  CLI::App* load = image->add_subcommand("load", "Load images from a docker save or OCI archive");
  load->add_option("-i,--input", *load_file, "Archive (tar, plain or compressed)")->required();
  load->callback([load_file, &exit_code] {
    runtime::ImageStore store(images_root());
    std::vector<runtime::Image> loaded;
    if (runtime::Status s = store.load_archive(*load_file, &loaded); !s) {
      exit_code = fail(s);
      return;
    }
    for (const auto& image : loaded) std::cout << "Loaded image: " << image.reference << "\n";
    exit_code = 0;
  });

  struct SaveOptions {
    std::string image, output;
  };
  auto save = std::make_shared<SaveOptions>();
  CLI::App* save_cmd = image->add_subcommand("save", "Write an image as an OCI image archive");
  save_cmd->add_option("image", save->image, "NAME[:TAG] or ID")->required();
  save_cmd->add_option("-o,--output", save->output, "Archive to write")->required();
  save_cmd->callback([save, &exit_code] {
    runtime::ImageStore store(images_root());
    if (runtime::Status s = store.save_archive(save->image, save->output); !s) {
      exit_code = fail(s);
      return;
    }
    exit_code = 0;
  });

  auto ls_format = std::make_shared<std::string>("table");
  CLI::App* ls = image->add_subcommand("ls", "List images");
  ls->alias("list");
  ls->add_option("--format", *ls_format, "table or json")->check(CLI::IsMember({"table", "json"}));
  ls->callback([ls_format, &exit_code] {
    runtime::ImageStore store(images_root());
    std::vector<runtime::Image> images;
    if (runtime::Status s = store.list(&images); !s) {
      exit_code = fail(s);
      return;
    }
    if (*ls_format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& image : images) out.push_back(image_json(image));
      std::cout << out.dump(2) << "\n";
    } else {
      std::printf("%-40s %-12s %-14s %-22s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
      for (const auto& image : images) {
        // NAME@DIGEST (pulled by digest) has no tag, as `docker images` shows it.
        size_t at = image.reference.find('@');
        size_t split = at != std::string::npos ? at : image.reference.rfind(':');
        std::string tag = at != std::string::npos ? "<none>" : image.reference.substr(split + 1);
        std::printf("%-40s %-12s %-14s %-22s %s\n", image.reference.substr(0, split).c_str(), tag.c_str(),
                    image.id().c_str(), image.created.c_str(), human_size(image.size).c_str());
      }
    }
    exit_code = 0;
  });

  auto prune_all = std::make_shared<bool>(false);
  CLI::App* prune = image->add_subcommand("prune", "Remove untagged images (-a: every image no container uses)");
  prune->add_flag("-a,--all", *prune_all, "Remove every image no container uses");
  prune->callback([prune_all, &exit_code] {
    runtime::ImageStore store(images_root());
    runtime::ContainerStore containers(stack_root() + "/containers");
    std::vector<runtime::ContainerRecord> records;
    containers.list(&records);
    std::vector<runtime::Image> images;
    if (runtime::Status s = store.list(&images); !s) {
      exit_code = fail(s);
      return;
    }
    exit_code = 0;
    for (const auto& image : images) {
      bool used = container_using(records, image) != nullptr;
      bool untagged = image.reference.rfind("untagged:", 0) == 0;
      if (used || !(untagged || *prune_all)) continue;
      runtime::Image removed;
      if (runtime::Status s = store.remove(image.reference, &removed); !s) {
        exit_code = fail(s);
        continue;
      }
      std::cout << "Deleted: " << removed.reference << " (" << removed.id() << ")\n";
    }
  });

  auto inspect_names = std::make_shared<std::vector<std::string>>();
  CLI::App* inspect = image->add_subcommand("inspect", "Show an image's configuration as JSON");
  inspect->add_option("images", *inspect_names, "NAME[:TAG] or ID")->required();
  inspect->callback([inspect_names, &exit_code] {
    runtime::ImageStore store(images_root());
    nlohmann::json out = nlohmann::json::array();
    exit_code = 0;
    for (const std::string& name : *inspect_names) {
      runtime::Image image;
      if (runtime::Status s = store.find(name, &image); !s) {
        exit_code = fail(s);
        continue;
      }
      out.push_back(image_json(image));
    }
    std::cout << out.dump(2) << "\n";
  });

  auto rm_names = std::make_shared<std::vector<std::string>>();
  CLI::App* rm = image->add_subcommand("rm", "Remove images and the layers nothing else uses");
  rm->alias("remove");
  rm->add_option("images", *rm_names, "NAME[:TAG] or ID")->required();
  rm->callback([rm_names, &exit_code] {
    exit_code = 0;
    for (const std::string& name : *rm_names) {
      std::string reference, digest;
      if (runtime::Status s = remove_unused_image(name, &reference, &digest); !s) {
        exit_code = fail(s);
        continue;
      }
      std::cout << "Untagged: " << reference << "\nDeleted: " << digest << "\n";
    }
  });
}

}  // namespace stack::cmd
