export * from '../../emulator/sfn/server.ts';
