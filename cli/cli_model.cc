#include "cli/cli_model.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <set>

namespace perfkit::cli {

namespace {

// The completions of arguments, chosen by name: the same names mean the same
// thing in every command (run references, baseline names, files).
Complete CompleteFor(const std::string& name, bool positional) {
  static const std::set<std::string> kFileOptions = {
      "--db", "--output", "--json", "--mem-file", "--reference", "--socket", "--exec"};
  static const std::set<std::string> kFilePositionals = {"file", "files", "before",  "after",
                                                         "old",  "new",   "command", "args"};
  if (positional) {
    if (kFilePositionals.count(name) != 0) return Complete::kFiles;
    if (name == "run") return Complete::kRuns;
    if (name == "base" || name == "candidate") return Complete::kRunsAndBaselines;
    if (name == "name") return Complete::kBaselines;
    return Complete::kNothing;
  }
  if (kFileOptions.count(name) != 0) return Complete::kFiles;
  if (name == "--suite") return Complete::kSuites;
  if (name == "--baseline") return Complete::kBaselines;
  if (name == "--host") return Complete::kHosts;
  if (name == "--compare") return Complete::kRunsAndBaselines;
  return Complete::kNothing;
}

// CLI::IsMember appends its set to the type name: "TEXT:{table,markdown}".
std::vector<std::string> Choices(const std::string& type_name) {
  const size_t open = type_name.find('{');
  const size_t close = type_name.rfind('}');
  std::vector<std::string> out;
  if (open == std::string::npos || close == std::string::npos || close < open) return out;
  std::string item;
  for (char c : type_name.substr(open + 1, close - open - 1)) {
    if (c == ',') {
      out.push_back(item);
      item.clear();
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      item += c;
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

std::string ValueName(const CLI::Option& opt, const CliArgument& arg) {
  if (!arg.takes_value) return "";
  if (arg.complete == Complete::kFiles) return "FILE";
  std::string type = opt.get_type_name();
  type = type.substr(0, type.find(':'));
  if (type == "UINT" || type == "INT" || type == "NATURAL") return "N";
  if (type == "FLOAT" || type == "POSITIVE") return "X";
  std::string name = opt.get_lnames().empty() ? opt.get_name() : opt.get_lnames().front();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return c == '-' ? '_' : std::toupper(c); });
  return name;
}

CliArgument Describe(const CLI::Option& opt) {
  CliArgument arg;
  arg.description = opt.get_description();
  arg.takes_value = opt.get_items_expected_max() > 0;
  arg.repeats = opt.get_items_expected_max() > 1 ||
                opt.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll;
  arg.required = opt.get_required();
  if (opt.get_positional() && !opt.nonpositional()) {
    arg.names = {opt.get_name()};
    arg.complete = CompleteFor(opt.get_name(), true);
  } else {
    for (const std::string& s : opt.get_snames()) arg.names.push_back("-" + s);
    for (const std::string& l : opt.get_lnames()) arg.names.push_back("--" + l);
    arg.complete = arg.takes_value ? CompleteFor(arg.names.back(), false) : Complete::kNothing;
  }
  arg.choices = Choices(opt.get_type_name());
  if (!arg.choices.empty()) arg.complete = Complete::kChoices;
  arg.value_name = ValueName(opt, arg);
  if (opt.get_positional() && !opt.nonpositional()) {
    arg.value_name = opt.get_name();
    std::transform(arg.value_name.begin(), arg.value_name.end(), arg.value_name.begin(),
                   [](unsigned char c) { return std::toupper(c); });
  }
  return arg;
}

void Walk(const CLI::App& app, const std::vector<std::string>& path, std::vector<CliCommand>* out) {
  CliCommand cmd;
  cmd.path = path;
  cmd.description = app.get_description();
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    if (opt == app.get_help_ptr() || opt == app.get_help_all_ptr()) continue;
    CliArgument arg = Describe(*opt);
    (opt->get_positional() && !opt->nonpositional() ? cmd.positionals : cmd.options)
        .push_back(std::move(arg));
  }
  std::vector<const CLI::App*> subs =
      app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
  for (const CLI::App* sub : subs) cmd.subcommands.push_back(sub->get_name());
  out->push_back(std::move(cmd));
  for (const CLI::App* sub : subs) {
    std::vector<std::string> sub_path = path;
    sub_path.push_back(sub->get_name());
    Walk(*sub, sub_path, out);
  }
}

}  // namespace

std::string CliCommand::PathString() const {
  std::string s;
  for (const std::string& p : path) s += (s.empty() ? "" : " ") + p;
  return s;
}

std::vector<CliCommand> DescribeCli(const CLI::App& root) {
  std::vector<CliCommand> out;
  Walk(root, {}, &out);
  return out;
}

}  // namespace perfkit::cli
