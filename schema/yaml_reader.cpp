#include "schema/yaml_reader.h"

#include <yaml-cpp/yaml.h>

#include <memory>

namespace stack::schema {
namespace {

class Converter {
 public:
  Converter(std::shared_ptr<const std::string> file, Diagnostics& diags)
      : file_(std::move(file)), diags_(diags) {}

  Node convert(const YAML::Node& y, const Mark& fallback, const std::string& path, int depth) {
    if (depth > 256) {
      diags_.error(fallback, path, "nesting is too deep");
      return Node::null(fallback);
    }
    // Aliases share nodes in yaml-cpp; expanding them could blow up
    // ("billion laughs"), so the expanded tree has a size limit.
    if (++converted_ > kMaxNodes) {
      if (converted_ == kMaxNodes + 1) diags_.error(fallback, path, "the document expands to more than 2,000,000 values");
      return Node::null(fallback);
    }
    Mark mark = mark_of(y, fallback);
    Node out;
    switch (y.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        // yaml-cpp marks empty values after them; the key's mark reads better.
        out = Node::null(fallback);
        break;
      case YAML::NodeType::Scalar:
        out = scalar(y, mark);
        break;
      case YAML::NodeType::Sequence: {
        out = Node::sequence(mark);
        size_t i = 0;
        for (const YAML::Node& item : y) {
          out.push_back(convert(item, mark_of(item, mark), path_index(path, i), depth + 1));
          ++i;
        }
        break;
      }
      case YAML::NodeType::Map:
        out = mapping(y, mark, path, depth);
        break;
    }
    const std::string& tag = y.Tag();
    if (!tag.empty() && tag != "?" && tag != "!" && tag.rfind("tag:yaml.org,2002:", 0) != 0)
      out.set_tag(tag);
    return out;
  }

 private:
  static constexpr size_t kMaxNodes = 2'000'000;
  std::shared_ptr<const std::string> file_;
  Diagnostics& diags_;
  size_t converted_ = 0;

  Mark mark_of(const YAML::Node& y, const Mark& fallback) const {
    YAML::Mark m = y.Mark();
    if (m.is_null() || m.line < 0) return fallback;
    return Mark{file_, m.line + 1, m.column + 1};
  }

  Node scalar(const YAML::Node& y, const Mark& mark) {
    const std::string& tag = y.Tag();
    const std::string& text = y.Scalar();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return Node::string(text, mark);
    if (tag == "?" || tag.empty() || tag[0] == '!') return Node::plain(text, mark);
    return Node::plain(text, mark);
  }

  Node mapping(const YAML::Node& y, const Mark& mark, const std::string& path, int depth) {
    Node out = Node::mapping(mark);
    std::vector<std::pair<YAML::Node, Mark>> merges;
    for (const auto& kv : y) {
      Mark key_mark = mark_of(kv.first, mark);
      if (!kv.first.IsScalar()) {
        diags_.error(key_mark, path, "mapping keys must be strings");
        continue;
      }
      const std::string& key = kv.first.Scalar();
      if (key == "<<" && kv.first.Tag() == "?") {
        merges.emplace_back(kv.second, key_mark);
        continue;
      }
      if (out.find(key)) {
        diags_.error(key_mark, path_key(path, key), "duplicate key '" + key + "'");
        continue;
      }
      out.set(key, convert(kv.second, key_mark, path_key(path, key), depth + 1), key_mark);
    }
    // YAML merge keys: explicit keys win, then earlier merged mappings win.
    for (const auto& [source, key_mark] : merges) {
      std::vector<YAML::Node> maps;
      if (source.IsMap()) {
        maps.push_back(source);
      } else if (source.IsSequence()) {
        for (const YAML::Node& m : source) maps.push_back(m);
      }
      if (maps.empty()) {
        diags_.error(key_mark, path_key(path, "<<"), "a merge key takes a mapping or a list of mappings");
        continue;
      }
      for (const YAML::Node& m : maps) {
        if (!m.IsMap()) {
          diags_.error(key_mark, path_key(path, "<<"), "a merge key takes a mapping or a list of mappings");
          continue;
        }
        Node merged = mapping(m, mark_of(m, key_mark), path, depth + 1);
        for (Entry& e : merged.entries())
          if (!out.find(e.key)) out.set(e.key, std::move(e.value), e.key_mark);
      }
    }
    return out;
  }
};

}  // namespace

Node read_yaml(std::string_view text, const std::string& file, Diagnostics& diags) {
  auto file_name = std::make_shared<const std::string>(file);
  Mark top{file_name, 1, 1};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    Mark at{file_name, e.mark.line >= 0 ? e.mark.line + 1 : 0, e.mark.column >= 0 ? e.mark.column + 1 : 0};
    diags.error(at, "", "invalid YAML: " + e.msg);
    return Node::null(top);
  }
  try {
    return Converter(file_name, diags).convert(root, top, "", 0);
  } catch (const YAML::Exception& e) {
    // Bad aliases and the like surface only while walking the tree.
    diags.error(top, "", "invalid YAML: " + e.msg);
    return Node::null(top);
  }
}

}  // namespace stack::schema
