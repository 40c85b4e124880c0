export * from '../../emulator/logs-local.ts';
