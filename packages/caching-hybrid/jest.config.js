export { default } from '@sharedstate/build-config/jest';
