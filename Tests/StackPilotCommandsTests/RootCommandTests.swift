import Testing

@testable import StackPilotCommands

@Suite("StackPilot root command")
struct RootCommandTests {
    @Test("the root command is named stackpilot and carries a version")
    func rootCommand() {
        #expect(StackPilot.configuration.commandName == "stackpilot")
        #expect(!StackPilot.version.isEmpty)
    }
}
