#include "cmd/global_options.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <iterator>
#include <sstream>

#include "orchestrator/dependency_graph.h"
#include "runtime/linux/heap_reserve.h"
#include "schema/project.h"

extern char** environ;

namespace stack::cmd {

void add_global_options(CLI::App& app, GlobalOptions& o) {
  app.add_option("-f,--file", o.files, "Stack file (repeatable; - reads standard input)")->take_all();
  app.add_option("-p,--project-name", o.project_name, "Project name");
  app.add_option("--project-directory", o.project_directory, "Project directory (default: the first file's)");
  app.add_option("--env-file", o.env_files, "Environment file instead of .env (repeatable)");
  app.add_option("--profile", o.profiles, "Enable a profile (repeatable)");
  app.add_option("--log-level", o.log_level, "Diagnostics: trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_flag("--strict", o.strict, "Treat attributes stack ignores as errors");
  app.add_option("--insecure-registry", o.insecure_registries,
                 "Reach this registry (host[:port]) over plain HTTP (repeatable)");
}

void apply_log_level(const GlobalOptions& o) {
  spdlog::level::level_enum level = spdlog::level::from_str(o.log_level);
  // Diagnostics go to stderr, so that stdout stays the command's output;
  // made only when asked for, to keep every command's start cheap.
  if (level <= spdlog::level::info) spdlog::set_default_logger(spdlog::stderr_color_mt("stack"));
  spdlog::set_level(level);
}

namespace {

std::string read_stdin() {
  std::ostringstream text;
  text << std::cin.rdbuf();
  return text.str();
}

std::string current_dir() {
  char buf[4096];
  return ::getcwd(buf, sizeof buf) ? std::string(buf) : std::string(".");
}

// Prints "file:line:col: path: message" and, like ninja, the line with a
// caret (a bounded excerpt of it; none for env files, which may hold secrets).
void print_diagnostic(const schema::Diagnostic& d, schema::StackFileSource& files,
                      std::map<std::string, schema::SourceLines>& lines) {
  bool error = d.severity == schema::Diagnostic::Severity::Error;
  bool color = ::isatty(STDERR_FILENO);
  std::string label = error ? (color ? "\033[31merror\033[0m" : "error") : (color ? "\033[33mwarning\033[0m" : "warning");
  std::cerr << label << ": " << d.format() << "\n";
  if (!d.mark.known() || schema::file_is_confidential(d.mark.file)) return;
  const std::string& file = *d.mark.file;
  auto it = lines.find(file);
  if (it == lines.end()) it = lines.emplace(file, schema::SourceLines(files.read(file).value_or(""))).first;
  std::cerr << it->second.excerpt(d.mark);
}

}  // namespace

std::optional<schema::LoadedProject> load_project(const GlobalOptions& o, const std::vector<std::string>& services,
                                                  bool interpolate) {
  auto started = std::chrono::steady_clock::now();
  schema::LoadOptions options;
  options.files = o.files;
  options.working_dir = current_dir();
  options.project_directory = o.project_directory;
  options.project_name = o.project_name;
  options.env_files = o.env_files;
  options.profiles = o.profiles;
  options.services = services;
  options.interpolate = interpolate;
  options.strict = o.strict;
  options.creating = o.creating;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) options.environment[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const std::string& f : o.files)
    if (f == "-") options.stdin_text = read_stdin();

  // The loader's trees take about 40 bytes of memory per byte of YAML.
  std::size_t input_bytes = options.stdin_text.size();
  for (const std::string& f : o.files) {
    struct stat st {};
    if (f != "-" && ::stat(f.c_str(), &st) == 0) input_bytes += static_cast<std::size_t>(st.st_size);
  }
  runtime::linux_::reserve_heap(input_bytes * 40);

  schema::DiskFileSource files;
  schema::LoadedProject project = schema::load_project(options, files);
  if (project.ok()) {
    // A dependency cycle is a property of the whole project, found on its graph.
    schema::Project typed = schema::build_project(project.tree, project.project_dir);
    if (auto cycle = orchestrator::DependencyGraph(typed).find_cycle()) {
      std::string path = "services." + cycle->services[0] + ".depends_on";
      project.diags.error(cycle->mark, path, "dependency cycle: " + cycle->describe());
    }
  }
  std::map<std::string, schema::SourceLines> lines;
  for (const schema::Diagnostic& d : project.diags.all())
    if (o.creating || d.severity == schema::Diagnostic::Severity::Error) print_diagnostic(d, files, lines);
  spdlog::debug("loaded {} file(s) in {:.1f} ms", project.files.size(),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count());
  if (!project.ok()) return std::nullopt;
  return project;
}

}  // namespace stack::cmd
