export * from '../../emulator/spawn'
