export * from '../../emulator/s3rver.ts';
