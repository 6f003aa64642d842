// Typed errors of the core. The binding maps each to the Python exception of the same name.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace kt {

struct ValueError : std::runtime_error { using std::runtime_error::runtime_error; };
struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct IndexError : std::runtime_error { using std::runtime_error::runtime_error; };
struct OutOfMemory : std::runtime_error { using std::runtime_error::runtime_error; };
struct RuntimeError : std::runtime_error { using std::runtime_error::runtime_error; };

template <class T>
inline void put_(std::ostringstream& os, const T& v) { os << v; }
template <class T>
inline void put_(std::ostringstream& os, const std::vector<T>& v) {
  os << '(';
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << (v.size() == 1 ? ",)" : ")");
}

// str(a, b, ...) concatenates values; shapes print as Python tuples.
template <class... Args>
inline std::string str(const Args&... args) {
  std::ostringstream os;
  (put_(os, args), ...);
  return os.str();
}

}  // namespace kt

#define KT_CHECK(COND, EXC, ...) \
  do {                           \
    if (!(COND)) throw ::kt::EXC(::kt::str(__VA_ARGS__)); \
  } while (0)
