export * from '../../emulator/sts-local.ts';
