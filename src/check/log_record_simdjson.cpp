// parse_record_simdjson(): simdjson's On Demand API, one pass over the line in
// its order. On Demand checks only what it is asked to read and skips the
// rest by counting brackets, so every value, also one check does not keep,
// is read here: a line is taken only when all of it is valid JSON, as the
// other parser would find. (simdjson 3.0.1 also misses a missing comma after
// a value left to skip: `{"a":"b":1}}` ends the object without an error.)
// Anything else is declined, and the other parser reads the line again and
// says what is wrong with it.
#include <simdjson.h>

#include <cstring>
#include <memory>

#include "check/log_fields.h"
#include "check/log_parsers.h"

namespace tcpfsm {
namespace {

namespace od = simdjson::ondemand;
using namespace log_fields;

// Nesting walked here; a deeper line is left to the other parser, which does
// not recurse. This bounds the stack.
constexpr int kMaxDepth = 32;

class Reader {
 public:
  bool parse(std::string_view line, LogRecord& rec) {
    copy(line);
    od::document doc;
    od::object top;
    if (parser_.iterate(buf_.get(), line.size(), capacity_).get(doc) || doc.get_object().get(top)) return false;
    rec.clear();
    std::uint32_t seen = 0;
    // Each member in place, by reference: copies of simdjson's iterators cost
    // more than the rest of the work here.
    for (auto member : top) {
      std::string_view key;
      if (member.error() || !key_of(member.value_unsafe(), key)) return false;
      od::field& field = member.value_unsafe();
      const Field f = field_of(key);
      if (f == Field::None ? !valid(field.value(), 1) : !store(rec, f, field.value())) return false;
      seen |= bit(f);
    }
    // Nothing may follow the object.
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return false;
    if (!(seen & bit(Field::Type))) return false;
    const TypeSpec* spec = find_type(rec.type_name);
    if (!spec) return true;  // type Unknown: the caller reports it
    rec.type = spec->type;
    return (seen & spec->required) == spec->required;
  }

 private:
  // simdjson reads up to SIMDJSON_PADDING bytes past the end of its input: it
  // gets a copy of the line with zeros after it.
  void copy(std::string_view line) {
    const std::size_t need = line.size() + simdjson::SIMDJSON_PADDING;
    if (capacity_ < need) {
      capacity_ = std::max(need, 2 * capacity_);
      buf_ = std::make_unique<char[]>(capacity_);
    }
    std::memcpy(buf_.get(), line.data(), line.size());
    std::memset(buf_.get() + line.size(), 0, simdjson::SIMDJSON_PADDING);
    // A line without a backslash has no escape: its strings are its bytes
    // between the quotes, and simdjson has checked those are UTF-8 without
    // a control character. A line with one has its strings unescaped, which
    // checks the escapes.
    escapes_ = std::memchr(line.data(), '\\', line.size()) != nullptr;
  }

  // In a line without escapes a string is its bytes between its quotes.
  // simdjson knows where each token starts, which bounds the string: a
  // value's token runs to the next one (spaces after it included); a key ends
  // at the last quote before its value (back over the ':').
  bool key_of(od::field& field, std::string_view& key) {
    if (escapes_) return !field.unescaped_key().get(key);
    const char* begin = field.key().raw();
    const char* end = field.value().raw_json_token().data() - 1;
    while (*end != '"') --end;
    key = {begin, static_cast<std::size_t>(end - begin)};
    return true;
  }

  bool string_of(od::value& v, std::string_view& s) {
    if (escapes_) return !v.get_string().get(s);
    const std::string_view token = v.raw_json_token();
    od::raw_json_string raw;
    if (v.get_raw_json_string().get(raw)) return false;
    std::size_t close = token.size() - 1;
    while (token[close] != '"') --close;
    s = token.substr(1, close - 1);
    return true;
  }

  // A value of a field check reads, stored as the other parser would store it.
  bool store(LogRecord& rec, Field f, od::value& v) {
    od::json_type type;
    if (v.type().get(type)) return false;
    if (type == od::json_type::object) return f == Field::Life && read_life(rec.life.emplace(), v);
    return store_scalar(rec, f, v, type);
  }

  // The members of "life", as the other parser reads them.
  bool read_life(ConnectionLife& life, od::value& v) {
    od::object object;
    if (v.get_object().get(object)) return false;
    for (auto member : object) {
      std::string_view key;
      if (member.error() || !key_of(member.value_unsafe(), key)) return false;
      od::field& field = member.value_unsafe();
      const LifeField f = life_field_of(key);
      if (f == LifeField::None) {
        if (!valid(field.value(), 2)) return false;
        continue;
      }
      od::json_type type;
      if (field.value().type().get(type) || !store_scalar(life, f, field.value(), type)) return false;
    }
    return true;
  }

  // A number, string or null stored in `target` (a record, or its life) by
  // log_fields' store_*(); no field or member takes an array or a boolean.
  template <class Target, class Key>
  bool store_scalar(Target& target, Key f, od::value& v, od::json_type type) {
    switch (type) {
      case od::json_type::number: {
        std::uint64_t n;
        return !v.get_uint64().get(n) && store_uint(target, f, n) == Stored::Ok;
      }
      case od::json_type::string: {
        std::string_view s;
        return string_of(v, s) && store_string(target, f, s) == Stored::Ok;
      }
      case od::json_type::null: {
        bool null = false;
        return !v.is_null().get(null) && null && store_null(target, f) == Stored::Ok;
      }
      default:
        return false;
    }
  }

  // A value check does not read: valid JSON all through, or the line is declined.
  bool valid(od::value& v, int depth) {
    od::json_type type;
    if (depth > kMaxDepth || v.type().get(type)) return false;
    switch (type) {
      case od::json_type::object: {
        od::object object;
        if (v.get_object().get(object)) return false;
        for (auto member : object) {
          std::string_view key;
          if (member.error() || !key_of(member.value_unsafe(), key) || !valid(member.value_unsafe().value(), depth + 1))
            return false;
        }
        return true;
      }
      case od::json_type::array: {
        od::array array;
        if (v.get_array().get(array)) return false;
        for (auto element : array)
          if (element.error() || !valid(element.value_unsafe(), depth + 1)) return false;
        return true;
      }
      case od::json_type::number: {
        // Mostly unsigned integers: quicker to read as one. get_uint64() does
        // not move on when the number is not one, so get_number() can have it.
        std::uint64_t u;
        od::number n;
        return !v.get_uint64().get(u) || !v.get_number().get(n);
      }
      case od::json_type::string: {
        std::string_view s;
        return string_of(v, s);
      }
      case od::json_type::boolean: {
        bool b;
        return !v.get_bool().get(b);
      }
      case od::json_type::null: {
        bool null = false;
        return !v.is_null().get(null) && null;
      }
    }
    return false;
  }

  od::parser parser_;
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;
  bool escapes_ = false;
};

}  // namespace

bool parse_record_simdjson(std::string_view line, LogRecord& out) {
  thread_local Reader reader;
  return reader.parse(line, out);
}

}  // namespace tcpfsm
