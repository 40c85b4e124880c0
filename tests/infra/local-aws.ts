export * from '../../emulator/local-aws.ts';
