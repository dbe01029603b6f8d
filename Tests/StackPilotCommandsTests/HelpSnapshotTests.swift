import ArgumentParser
import Foundation
import Testing

@testable import StackPilotCommands

/// `--help` of every command and subcommand against golden files in Snapshots/ (one per command
/// path, e.g. `stackpilot-up.txt`), as swift-argument-parser's own tests do, at 80 columns.
///
/// A change to a flag, its help or a command's text fails here until the golden file is updated:
///   STACKPILOT_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshotTests
/// rewrites the files (and still fails once, naming each file it wrote); review the diff, commit.
@Suite("--help snapshots")
struct HelpSnapshotTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    /// Every command of the tree, with its path of command names.
    static func walk(_ command: any ParsableCommand.Type, path: [String] = []) -> [(path: [String], command: any ParsableCommand.Type)] {
        let name = command.configuration.commandName ?? String(describing: command).lowercased()
        let here = path + [name]
        return [(here, command)] + command.configuration.subcommands.flatMap { walk($0, path: here) }
    }

    static let commands = walk(StackPilot.self)

    @Test("the tree has every command once, each with an abstract")
    func tree() {
        let names = Self.commands.map { $0.path.joined(separator: " ") }
        #expect(Set(names).count == names.count)
        #expect(names.count == StackPilot.configuration.subcommands.count + 1)
        for (path, command) in Self.commands {
            #expect(!command.configuration.abstract.isEmpty, "\(path.joined(separator: " ")) has no abstract")
        }
    }

    @Test("--help matches its golden file", arguments: commands.map { $0.path.joined(separator: " ") })
    func help(_ path: String) throws {
        let command = try #require(Self.commands.first { $0.path.joined(separator: " ") == path }?.command)
        let text = StackPilot.helpMessage(for: command, columns: 80) + "\n"
        let file = Self.directory.appendingPathComponent(path.replacingOccurrences(of: " ", with: "-") + ".txt")
        if ProcessInfo.processInfo.environment["STACKPILOT_UPDATE_SNAPSHOTS"] != nil {
            try FileManager.default.createDirectory(at: Self.directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: file)
            Issue.record("wrote \(file.lastPathComponent); unset STACKPILOT_UPDATE_SNAPSHOTS and run again")
            return
        }
        let golden = try #require(
            try? String(contentsOf: file, encoding: .utf8),
            "no golden file \(file.lastPathComponent): run with STACKPILOT_UPDATE_SNAPSHOTS=1")
        #expect(text == golden, "stackpilot \(path) --help differs from Snapshots/\(file.lastPathComponent)")
    }
}
