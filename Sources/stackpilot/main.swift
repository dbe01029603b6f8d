import StackPilotCommands

await StackPilot.main()
