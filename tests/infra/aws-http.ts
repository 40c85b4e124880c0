export * from '../../emulator/aws-http.ts';
