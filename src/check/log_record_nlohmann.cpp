// parse_record_nlohmann(): nlohmann::json's SAX interface; no document is
// built and nothing throws; each value goes straight into the reused LogRecord.
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>

#include "check/log_fields.h"
#include "check/log_parsers.h"
#include "common/text.h"

namespace tcpfsm {
namespace {

using json = nlohmann::json;

using namespace log_fields;

// nlohmann's message in its own words, which are plain ASCII, but for the
// bytes it read last ("...; last read: '<bytes>'..."): those come from the
// line, and are escaped. Cut short, as the bytes may be a whole line.
std::string parse_error_text(std::string_view what) {
  constexpr std::size_t kMax = 160;
  constexpr std::string_view kLastRead = "last read: '";
  const std::string_view shown = cut_at(what, kMax);
  const std::size_t at = shown.find(kLastRead);
  const std::size_t own = at == std::string_view::npos ? shown.size() : at + kLastRead.size();
  std::string text(shown.substr(0, own));
  append_escaped(text, shown.substr(own));
  return shown.size() < what.size() ? text + "..." : text;
}

// Receives the parser's events for one line. Values nested deeper than the
// top-level object belong to fields check does not read, and are skipped,
// but for the members of "life", one level down.
class Sax {
 public:
  explicit Sax(LogRecord& r) : rec_(r) {}

  bool null() {
    if (life_value()) return store_null(*rec_.life, life_field_) == Stored::Ok || life_wrong("null");
    if (!top_level_value()) return !not_object_;
    if (store_null(rec_, field_) != Stored::Ok) return wrong("null");
    set(field_);
    return true;
  }
  bool boolean(bool) { return other_value("a boolean"); }
  bool number_integer(json::number_integer_t) { return other_value("a negative number"); }
  bool number_float(json::number_float_t, const std::string&) {
    return other_value("a number that is not an unsigned 64-bit integer");
  }
  bool binary(json::binary_t&) { return other_value("binary"); }

  bool number_unsigned(json::number_unsigned_t v) {
    if (life_value()) {
      switch (store_uint(*rec_.life, life_field_, v)) {
        case Stored::Ok: return true;
        case Stored::OutOfRange: return life_wrong(std::to_string(v));
        default: return life_wrong("a number");
      }
    }
    if (!top_level_value()) return !not_object_;
    switch (store_uint(rec_, field_, v)) {
      case Stored::Ok: break;
      case Stored::OutOfRange: return wrong(std::to_string(v));
      default: return wrong("a number");
    }
    set(field_);
    return true;
  }

  bool string(std::string& v) {
    if (life_value()) {
      switch (store_string(*rec_.life, life_field_, v)) {
        case Stored::Ok: return true;
        case Stored::Malformed: return life_wrong(quote(v));
        default: return life_wrong("a string");
      }
    }
    if (!top_level_value()) return !not_object_;
    switch (store_string(rec_, field_, v)) {
      case Stored::Ok: break;
      case Stored::UnknownState:
        return fail(field_, InputError::UnknownStateName,
                    "field \"" + std::string(kFields[index(field_)].name) + "\": unknown state name " + quote(v));
      case Stored::Malformed: return wrong(quote(v));
      default: return wrong("a string");
    }
    set(field_);
    return true;
  }

  bool start_object(std::size_t) {
    if (depth_ == 1 && field_ == Field::Life) {
      // Each "life" starts from nothing: of duplicate keys, the last wins.
      rec_.life.emplace();
      in_life_ = true;
      life_bad_ = false;
      life_field_ = LifeField::None;
      ++depth_;
      return true;
    }
    return open("an object");
  }
  bool start_array(std::size_t) {
    if (depth_ == 0) not_object_ = true;
    return open("an array");
  }
  bool end_object() {
    if (--depth_ == 1 && in_life_) {
      in_life_ = false;
      if (!life_bad_) set(Field::Life);
    }
    return true;
  }
  bool end_array() { return --depth_, true; }

  bool key(std::string& k) {
    if (depth_ == 1)
      field_ = field_of(k);
    else if (depth_ == 2 && in_life_)
      life_field_ = life_field_of(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    // e.what(): "[json.exception.parse_error.101] parse error at line 1, column 7: <what>"
    std::string_view what = e.what();
    if (auto col = what.find("column "); col != what.npos)
      if (auto colon = what.find(": ", col); colon != what.npos) what.remove_prefix(colon + 2);
    syntax_ = ParseError{InputError::InvalidJson,
                         "invalid JSON at column " + std::to_string(position) + ": " + parse_error_text(what)};
    return false;
  }

  // After the parse: the record, or what is wrong with it.
  std::optional<ParseError> finish(bool parsed) {
    if (syntax_) return std::move(syntax_);
    if (not_object_ || !parsed) return ParseError{InputError::NotAnObject, "not a JSON object"};
    if (!(seen_ & bit(Field::Type)))
      return bad_[index(Field::Type)] ? std::move(bad_[index(Field::Type)])
                                      : ParseError{InputError::MissingField, "missing field \"type\""};
    const TypeSpec* spec = find_type(rec_.type_name);
    if (!spec) return rec_.type = RecordType::Unknown, std::nullopt;
    rec_.type = spec->type;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
      const std::uint32_t b = 1u << i;
      if (!((spec->required | spec->optional) & b)) continue;
      if (bad_[i]) return std::move(bad_[i]);
      if ((spec->required & b) && !(seen_ & b))
        return ParseError{InputError::MissingField, "missing field \"" + std::string(kFields[i].name) +
                                                       "\" in a " + std::string(spec->name) + " record"};
    }
    return std::nullopt;
  }

 private:
  // True for a value directly inside the top-level object, the only ones read.
  bool top_level_value() {
    if (depth_ == 0) not_object_ = true;
    return depth_ == 1 && field_ != Field::None;
  }

  // A value of a member of "life" that check reads.
  bool life_value() const { return in_life_ && depth_ == 2 && life_field_ != LifeField::None; }

  // A value no field or member takes (a boolean, a negative number, ...).
  bool other_value(std::string_view what) {
    if (life_value()) return life_wrong(what);
    return top_level_value() ? wrong(what) : !not_object_;
  }

  bool open(std::string_view what) {
    if (depth_ == 1 && field_ != Field::None) wrong(what);
    if (life_value()) life_wrong(what);
    ++depth_;
    return !not_object_;
  }

  void set(Field f) {
    seen_ |= bit(f);
    bad_[index(f)].reset();  // a later duplicate key wins
  }

  // Records the problem with the current field and goes on: it matters only if
  // the record's type reads that field.
  bool wrong(std::string_view got) {
    return fail(field_, InputError::WrongType,
                "field \"" + std::string(kFields[index(field_)].name) + "\" should be " +
                    std::string(kFields[index(field_)].expected) + ", not " + std::string(got));
  }
  // The same for the current member of "life": the whole "life" is wrong,
  // and its first wrong member says why.
  bool life_wrong(std::string_view got) {
    if (life_bad_) return true;
    life_bad_ = true;
    return fail(Field::Life, InputError::WrongType,
                "field \"" + std::string(kLifeFields[index(life_field_)].name) + "\" should be " +
                    std::string(kLifeFields[index(life_field_)].expected) + ", not " + std::string(got));
  }
  bool fail(Field f, InputError kind, std::string message) {
    seen_ &= ~bit(f);
    bad_[index(f)] = ParseError{kind, std::move(message)};
    return true;
  }

  LogRecord& rec_;
  int depth_ = 0;
  Field field_ = Field::None;
  bool in_life_ = false;    // inside the top-level "life" object
  bool life_bad_ = false;   // a member of this "life" is wrong
  LifeField life_field_ = LifeField::None;
  std::uint32_t seen_ = 0;
  bool not_object_ = false;
  std::optional<ParseError> syntax_;
  std::array<std::optional<ParseError>, kFieldCount> bad_;
};

}  // namespace

std::optional<ParseError> parse_record_nlohmann(std::string_view line, LogRecord& out) {
  out.clear();
  Sax sax(out);
  const bool parsed = json::sax_parse(line.data(), line.data() + line.size(), &sax);
  return sax.finish(parsed);
}

}  // namespace tcpfsm
