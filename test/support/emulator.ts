export * from '../../emulator/launcher'
