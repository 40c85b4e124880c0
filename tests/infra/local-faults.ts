export * from '../../emulator/local-faults.ts';
