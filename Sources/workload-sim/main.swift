import WorkloadSim

await WorkloadSimCommand.main()
