export * from '../../emulator/local-lambda.ts';
