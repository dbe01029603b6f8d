import ArgumentParser
import Compose
import Foundation
import Logging

extension StackPilot {
    /// `stackpilot config`: the normalised stack model, the services, or their config hashes. An invalid
    /// stack prints every error (file:line:column, key path, what was expected) and exits 2; no engine call.
    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Print the normalised stack model (yaml|json), service names or config hashes; validate only with -q.",
            discussion: """
                Without -f, prints the whole deployment of the manifest (stacks/stackpilot.yml, --manifest or \
                STACKPILOT_MANIFEST). Secrets are shown as ******** wherever they appear unless --show-secrets \
                is given: values from env files, secret sources and *_FILE files, values of names that look \
                secret (PASS, PWD, SECRET, TOKEN, KEY, AUTH, ...) and URL passwords. Hashes are keyed per host.
                """
        )

        @OptionGroup var stacks: Flags.Stacks

        @Option(name: .customLong("format"), help: "Output format: yaml or json.")
        var format: OutputFormat = .yaml

        @Flag(name: .customLong("services"), help: "Print the service names only, in start order.")
        var servicesOnly = false

        @Option(name: .customLong("hash"), help: "Print \"service hash\" for SERVICE, a comma-separated list, or * for all.")
        var hash: String?

        @Flag(name: .customLong("show-secrets"), help: "Show secret values instead of ********.")
        var showSecrets = false

        @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Validate only; print nothing but errors.")
        var quiet = false

        func validate() throws {
            if format == .table { throw ValidationError("--format table is not available for config; use yaml or json") }
        }

        func run() async throws {
            if let text = try output() { print(text, terminator: text.hasSuffix("\n") ? "" : "\n") }
        }

        /// What `run` prints (nil with -q); warnings go to stderr. Bad input throws a `.badInput` failure.
        func output() throws(CommandFailure) -> String? {
            var logger = Logger(label: "stackpilot.config")
            logger.logLevel = .critical  // warnings are printed below, once
            let loader = ComposeLoader(logger: logger)
            let projects: [ComposeProject]
            var manifestPath: String?
            do {
                if stacks.files.isEmpty {
                    let path = Manifest.locate(explicit: stacks.manifest)
                    manifestPath = path
                    let m = try Manifest.load(path: path)
                    projects = try m.loadProjects(loader: loader, envFiles: stacks.envFiles)
                } else {
                    projects = [
                        try loader.load(
                            ComposeLoadOptions(
                                files: stacks.files, projectName: stacks.projectName, projectDirectory: stacks.projectDirectory,
                                envFiles: stacks.envFiles, profiles: stacks.profiles))
                    ]
                }
            } catch {
                throw CommandFailure(badInput: error.description)
            }
            for project in projects {
                for warning in project.warnings { StandardError.line("warning: \(warning)") }
            }
            if quiet { return nil }

            if servicesOnly {
                return projects.flatMap(\.startOrder).joined(separator: "\n")
            }
            if let hash {
                let wanted = hash == "*" ? nil : hash.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                for name in wanted ?? [] where !projects.contains(where: { $0.service(named: name) != nil }) {
                    let known = projects.flatMap(\.serviceNames).sorted().joined(separator: ", ")
                    throw CommandFailure(badInput: Printable.escaping("no such service: \(name) (services: \(known))"))
                }
                if case .derived(let reason) = ConfigHashKey.hostSource {
                    StandardError.line("warning: no hash key file (\(reason)); hashes use a key derived from the machine id")
                }
                var lines: [String] = []
                for project in projects {
                    for service in project.services where wanted == nil || wanted!.contains(service.name) {
                        lines.append("\(service.name) \(service.configHash)")
                    }
                }
                return lines.joined(separator: "\n")
            }

            // Values are written as a compose file would hold them (`$` as `$$`), so the output loads back.
            let shown = projects.map { (showSecrets ? $0.plainValue() : $0.redactedPlainValue()).escapingDollars() }
            switch format {
            case .json:
                if stacks.files.isEmpty {
                    return ComposeValue.object([
                        .init("manifest", .string(manifestPath ?? "")),
                        .init("projects", .array(shown)),
                    ]).prettyJSON()
                }
                return shown[0].prettyJSON()
            case .yaml, .table:
                var documents: [String] = []
                for project in shown {
                    do { documents.append(try project.yaml()) } catch {
                        throw CommandFailure(failed: "cannot render YAML: \(error)")
                    }
                }
                return documents.joined(separator: "---\n")
            }
        }
    }
}
