#include "schema/yaml_reader.h"

#include <yaml.h>

#include <algorithm>
#include <map>
#include <memory>

namespace stack::schema {
namespace {

// Builds Nodes straight from libyaml's event stream. yaml-cpp's own tree
// took 157 ms on a 1000-service file (the whole of `config -q` must stay
// under 100 ms); libyaml's events cost a fraction of that, and resolving
// aliases here lets the expansion be bounded.
class EventReader {
 public:
  EventReader(std::string_view text, const std::string* file, Diagnostics& diags)
      : file_(file), diags_(diags), item_scratch_(kMaxDepth + 2), entry_scratch_(kMaxDepth + 2) {
    yaml_parser_initialize(&parser_);
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  }
  ~EventReader() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // The first document's root, or null (with an error added) on failure.
  Node read_document() {
    Mark top{file_, 1, 1};
    if (!next() || event_.type != YAML_STREAM_START_EVENT) return fail_at(top);
    if (!next()) return fail_at(top);
    if (event_.type == YAML_STREAM_END_EVENT) return Node::null(top);
    if (event_.type != YAML_DOCUMENT_START_EVENT) return fail_at(top);
    if (!next()) return fail_at(top);
    Node root = node(top, PathRef{}, 0);
    if (failed_) return Node::null(top);
    // Reading on to the end of the document reports trailing syntax errors.
    if (!next() || event_.type != YAML_DOCUMENT_END_EVENT) return fail_at(top);
    return root;
  }

 private:
  static constexpr size_t kMaxNodes = 500'000;
  static constexpr int kMaxDepth = 256;

  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool has_event_ = false;
  bool failed_ = false;
  const std::string* file_;
  Diagnostics& diags_;
  size_t nodes_ = 0;
  struct Anchored {
    Node node;
    size_t size;
  };
  std::map<std::string, Anchored> anchors_;
  // Children are gathered here, one vector per depth, and moved into their
  // parent in one allocation: growing each parent's own vector item by item
  // cost more than parsing.
  std::vector<std::vector<Node>> item_scratch_;
  std::vector<std::vector<Entry>> entry_scratch_;

  bool next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = yaml_parser_parse(&parser_, &event_) != 0;
    if (!has_event_ && !failed_) {
      failed_ = true;
      const yaml_mark_t& m = parser_.problem_mark;
      std::string message = std::string("invalid YAML: ") + (parser_.problem ? parser_.problem : "syntax error");
      if (parser_.context) message += std::string(" ") + parser_.context;
      diags_.error(Mark{file_, static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1}, "", message);
    }
    return has_event_;
  }

  Node fail_at(const Mark& mark) {
    if (!failed_) {
      failed_ = true;
      diags_.error(mark, "", "invalid YAML");
    }
    return Node::null(mark);
  }

  Mark mark_here() const {
    return Mark{file_, static_cast<int>(event_.start_mark.line) + 1, static_cast<int>(event_.start_mark.column) + 1};
  }

  bool count(size_t n, const Mark& mark, const PathRef& path) {
    nodes_ += n;
    if (nodes_ <= kMaxNodes) return true;
    if (!failed_) {
      failed_ = true;
      diags_.error(mark, path.str(), "the document expands to more than 500,000 values (aliases nested too deep?)");
    }
    return false;
  }

  static std::string text_of(const yaml_char_t* s) { return s ? reinterpret_cast<const char*>(s) : ""; }

  static bool custom_tag(const std::string& tag) {
    return !tag.empty() && tag != "!" && tag.rfind("tag:yaml.org,2002:", 0) != 0;
  }

  void remember(const yaml_char_t* anchor, const Node& node, size_t size) {
    if (anchor) anchors_[text_of(anchor)] = Anchored{node, size};
  }

  // Consumes the events of one node, starting at the current event.
  Node node(const Mark& fallback, const PathRef& path, int depth) {
    if (failed_) return Node::null(fallback);
    Mark mark = mark_here();
    if (depth > kMaxDepth) {
      failed_ = true;
      diags_.error(mark, path.str(), "nesting is deeper than 256 levels");
      return Node::null(mark);
    }
    switch (event_.type) {
      case YAML_ALIAS_EVENT: {
        auto it = anchors_.find(text_of(event_.data.alias.anchor));
        if (it == anchors_.end()) {
          failed_ = true;
          diags_.error(mark, path.str(), "unknown alias *" + text_of(event_.data.alias.anchor));
          return Node::null(mark);
        }
        if (!count(it->second.size, mark, path)) return Node::null(mark);
        return it->second.node;
      }
      case YAML_SCALAR_EVENT: {
        if (!count(1, mark, path)) return Node::null(mark);
        const auto& s = event_.data.scalar;
        std::string value(reinterpret_cast<const char*>(s.value), s.length);
        std::string tag = text_of(s.tag);
        Node out;
        bool plain = s.style == YAML_PLAIN_SCALAR_STYLE && tag != "tag:yaml.org,2002:str";
        if (plain) out = Node::plain(std::move(value), mark);
        else out = Node::string(std::move(value), mark);
        // yaml-cpp-style marks: an empty value reads better at its key.
        if (out.is_null()) out.set_mark(fallback);
        if (custom_tag(tag)) out.set_tag(tag);
        remember(s.anchor, out, 1);
        return out;
      }
      case YAML_SEQUENCE_START_EVENT: {
        size_t before = nodes_;
        if (!count(1, mark, path)) return Node::null(mark);
        std::string tag = text_of(event_.data.sequence_start.tag);
        std::string anchor = text_of(event_.data.sequence_start.anchor);
        Node out = Node::sequence(mark);
        if (custom_tag(tag)) out.set_tag(tag);
        std::vector<Node>& items = item_scratch_[static_cast<size_t>(depth)];
        for (size_t i = 0; next() && event_.type != YAML_SEQUENCE_END_EVENT && !failed_; ++i)
          items.push_back(node(mark_here(), path.item(i), depth + 1));
        out.items().assign(std::make_move_iterator(items.begin()), std::make_move_iterator(items.end()));
        items.clear();
        if (!anchor.empty()) anchors_[anchor] = Anchored{out, nodes_ - before};
        return out;
      }
      case YAML_MAPPING_START_EVENT: {
        size_t before = nodes_;
        if (!count(1, mark, path)) return Node::null(mark);
        std::string tag = text_of(event_.data.mapping_start.tag);
        std::string anchor = text_of(event_.data.mapping_start.anchor);
        Node out = mapping(mark, path, depth);
        if (custom_tag(tag)) out.set_tag(tag);
        if (!anchor.empty()) anchors_[anchor] = Anchored{out, nodes_ - before};
        return out;
      }
      default:
        return fail_at(mark);
    }
  }

  Node mapping(const Mark& mark, const PathRef& path, int depth) {
    Node out = Node::mapping(mark);
    std::vector<Entry>& entries = entry_scratch_[static_cast<size_t>(depth)];
    EntryIndex seen;  // past 16 keys, so that finding duplicates stays linear
    std::vector<std::pair<Node, Mark>> merges;
    while (next() && event_.type != YAML_MAPPING_END_EVENT && !failed_) {
      Mark key_mark = mark_here();
      if (event_.type != YAML_SCALAR_EVENT) {
        // A complex key: read it to stay in step, then refuse it.
        node(key_mark, path, depth + 1);
        diags_.error(key_mark, path.str(), "mapping keys must be strings");
        if (!next()) break;
        node(key_mark, path, depth + 1);
        continue;
      }
      std::string key(reinterpret_cast<const char*>(event_.data.scalar.value), event_.data.scalar.length);
      bool merge_key = key == "<<" && event_.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
      if (!next()) break;
      Node value = node(key_mark, path.child(key), depth + 1);
      if (merge_key) {
        merges.emplace_back(std::move(value), key_mark);
      } else if (seen.built() ? seen.find(key, entries).has_value()
                              : std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; })) {
        diags_.error(key_mark, path.child(key).str(), "duplicate key '" + excerpt(key) + "'");
      } else {
        entries.push_back(Entry{std::move(key), key_mark, std::move(value)});
        if (seen.built()) seen.add_last(entries);
        else if (entries.size() >= 16) seen.build(entries);
      }
    }
    out.assign_entries(std::vector<Entry>(std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end())));
    entries.clear();
    // YAML merge keys: explicit keys win, then earlier merged mappings win.
    for (auto& [source, key_mark] : merges) {
      std::vector<const Node*> maps;
      if (source.is_mapping()) maps.push_back(&source);
      for (const Node& item : source.items()) maps.push_back(&item);
      bool ok = !maps.empty();
      for (const Node* m : maps) ok = ok && m->is_mapping();
      if (!ok) {
        diags_.error(key_mark, path.child("<<").str(), "a merge key takes a mapping or a list of mappings");
        continue;
      }
      for (const Node* m : maps)
        for (const Entry& e : m->entries())
          if (!out.find(e.key)) out.set(e.key, e.value, e.key_mark);
    }
    return out;
  }
};

}  // namespace

Node read_yaml(std::string_view text, const std::string& file, Diagnostics& diags) {
  return EventReader(text, intern_file_name(file), diags).read_document();
}

}  // namespace stack::schema
