#include "hub/api/static_files.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

namespace winebot::hub {
namespace {

class WebRoot {
 public:
  WebRoot() {
    std::random_device entropy;
    base_ = std::filesystem::temp_directory_path() /
            ("winebot-static-test-" + std::to_string(entropy()));
    root_ = base_ / "web";
    std::filesystem::create_directories(root_ / "css");
    write(root_ / "index.html", "<h1>fleet</h1>");
    write(root_ / "css" / "site.css", "body {}");
    write(base_ / "secret.txt", "outside the root");
  }
  ~WebRoot() { std::filesystem::remove_all(base_); }

  const std::filesystem::path& root() const { return root_; }
  const std::filesystem::path& base() const { return base_; }

  static void write(const std::filesystem::path& path, const std::string& content) {
    std::ofstream(path) << content;
  }

 private:
  std::filesystem::path base_;
  std::filesystem::path root_;
};

shared::HttpRequest get(const std::string& path) {
  shared::HttpRequest request;
  request.method = "GET";
  request.path = path;
  return request;
}

TEST_CASE("serve_static_file serves index.html for the root", "[static]") {
  WebRoot web;
  const auto response = serve_static_file(web.root(), get("/"));
  CHECK(response.status == 200);
  CHECK(response.body == "<h1>fleet</h1>");
  CHECK(response.content_type == "text/html; charset=utf-8");
}

TEST_CASE("serve_static_file serves nested files with their type", "[static]") {
  WebRoot web;
  const auto response = serve_static_file(web.root(), get("/css/site.css"));
  CHECK(response.status == 200);
  CHECK(response.content_type == "text/css; charset=utf-8");
}

TEST_CASE("serve_static_file rejects dot-dot segments", "[static]") {
  WebRoot web;
  const auto response = serve_static_file(web.root(), get("/../secret.txt"));
  CHECK(response.status == 400);
  CHECK(nlohmann::json::parse(response.body).contains("detail"));
}

TEST_CASE("serve_static_file refuses links leading outside", "[static]") {
  WebRoot web;
  std::filesystem::create_symlink(web.base() / "secret.txt", web.root() / "link.txt");
  const auto response = serve_static_file(web.root(), get("/link.txt"));
  CHECK(response.status == 404);
  CHECK(response.body.find("outside") == std::string::npos);
}

TEST_CASE("serve_static_file answers 404 for missing files", "[static]") {
  WebRoot web;
  const auto response = serve_static_file(web.root(), get("/missing.js"));
  CHECK(response.status == 404);
  CHECK(nlohmann::json::parse(response.body)["detail"] == "Not Found");
}

TEST_CASE("content_type_for falls back to octet-stream", "[static]") {
  CHECK(content_type_for("app.js") == "text/javascript; charset=utf-8");
  CHECK(content_type_for("data.bin") == "application/octet-stream");
}

}  // namespace
}  // namespace winebot::hub
