// The one translation unit that compiles Asio's and Beast's non-template code, so that the
// others do not (BOOST_ASIO_SEPARATE_COMPILATION and BOOST_BEAST_SEPARATE_COMPILATION are set
// for the whole project).
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
