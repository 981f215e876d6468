#include "shared/http/http_message.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "shared/http/event_stream.hpp"

namespace winebot::shared {
namespace {

int hex_value(char character) {
  if (character >= '0' && character <= '9') {
    return character - '0';
  }
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(character)));
  if (lower >= 'a' && lower <= 'f') {
    return lower - 'a' + 10;
  }
  return -1;
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char character) { return std::tolower(character); });
  return lower;
}

}  // namespace

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  const std::string wanted = to_lower(name);
  for (const auto& [key, value] : headers) {
    if (key == wanted) {
      return value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::query_value(const std::string& name) const {
  const auto it = query.find(name);
  if (it == query.end()) {
    return std::nullopt;
  }
  return it->second;
}

const std::string& HttpRequest::path_param(const std::string& name) const {
  static const std::string kEmpty;
  const auto it = path_params.find(name);
  return it == path_params.end() ? kEmpty : it->second;
}

HttpResponse HttpResponse::json(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

HttpResponse HttpResponse::server_sent_events(std::shared_ptr<EventStream> stream) {
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
  response.event_stream = std::move(stream);
  return response;
}

HttpResponse HttpResponse::error(int status, std::string_view detail) {
  return json(status, nlohmann::json{{"detail", std::string(detail)}});
}

void HttpResponse::set_header(std::string name, std::string value) {
  for (auto& [key, existing] : headers) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t index = 0; index < text.size(); ++index) {
    const char character = text[index];
    if (character == '+' && plus_is_space) {
      decoded += ' ';
    } else if (character == '%') {
      if (index + 2 >= text.size()) {
        return std::nullopt;
      }
      const int high = hex_value(text[index + 1]);
      const int low = hex_value(text[index + 2]);
      if (high < 0 || low < 0) {
        return std::nullopt;
      }
      decoded += static_cast<char>(high * 16 + low);
      index += 2;
    } else {
      decoded += character;
    }
  }
  return decoded;
}

bool split_target(std::string_view target, std::string& path,
                  std::map<std::string, std::string>& query) {
  const auto question = target.find('?');
  const auto raw_path = target.substr(0, question);
  auto decoded_path = percent_decode(raw_path, false);
  if (!decoded_path) {
    return false;
  }
  path = std::move(*decoded_path);
  query.clear();
  if (question == std::string_view::npos) {
    return true;
  }

  std::string_view rest = target.substr(question + 1);
  while (!rest.empty()) {
    const auto ampersand = rest.find('&');
    const auto pair = rest.substr(0, ampersand);
    rest = ampersand == std::string_view::npos ? std::string_view() : rest.substr(ampersand + 1);
    if (pair.empty()) {
      continue;
    }
    const auto equals = pair.find('=');
    auto key = percent_decode(pair.substr(0, equals), true);
    auto value = equals == std::string_view::npos ? std::optional<std::string>("")
                                                  : percent_decode(pair.substr(equals + 1), true);
    if (!key || !value) {
      return false;
    }
    query[*key] = std::move(*value);
  }
  return true;
}

}  // namespace winebot::shared
